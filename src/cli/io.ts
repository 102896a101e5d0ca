// What a CLI command may touch besides files: its output streams, working directory and environment.
// Tests pass their own; the bin script uses the process's.
import { UsageError } from '../errors/usage.js';

/** A usage or file problem: exit 2 with a one-line message and optional detail lines. */
export { UsageError, usageDetail } from '../errors/usage.js';

export interface CliWriter {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: CliWriter;
  stderr: CliWriter;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Standard input, for commands that read a secret (hash-key). */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** Ends long-running commands (worker, serve); the bin script wires SIGTERM/SIGINT. */
  signal?: AbortSignal;
}

/** A dependency missing at start-up (service/runtime.ts StartupError), checked by name. */
export function isStartupError(err: unknown): err is Error & { detail: string[] } {
  return (
    err instanceof Error && err.name === 'StartupError' && Array.isArray((err as { detail?: unknown }).detail)
  );
}

/** Codes that mean the command line named something wrong or missing (exit 2, as usage errors). */
const USAGE_CODES = new Set(['CONFIG_ERROR', 'REC_NOT_FOUND']);

/** Usage, configuration and start-up problems (and an id that names nothing) exit 2; other failures 1. */
export function exitCodeOf(err: unknown): number {
  const code = String((err as { code?: unknown } | null)?.code);
  return err instanceof UsageError || isStartupError(err) || USAGE_CODES.has(code) ? EXIT.usage : EXIT.failed;
}

/** Parsed command-line options shared by the commands. */
export type CliFlags = {
  site?: string;
  context?: string;
  now?: string;
  profile?: string;
  update?: boolean;
  filter?: string;
  skipValidation?: boolean;
  /** `mappings test --update --allow-rejection`. */
  allowRejection?: boolean;
  /** Results as JSON on stdout (check, test, validate). */
  json?: boolean;
  /** Also write the results as JUnit XML to this file. */
  junit?: string;
  mappingsDir: string;
  profilesDir: string;
};

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A one-line message and detail lines for any error, without a stack trace. */
export function describeError(err: unknown): { message: string; detail: string[] } {
  if (err instanceof UsageError) return { message: err.message, detail: err.detail };
  if (isStartupError(err)) return { message: err.message, detail: err.detail };
  const nav = err as { name?: string; code?: string; outcome?: { issue?: { diagnostics?: string }[] } };
  if (err instanceof Error && nav.name === 'NavbridgeError' && nav.outcome) {
    const what = nav.code === 'CONFIG_ERROR' ? 'configuration error' : (nav.code ?? 'error');
    return { message: what, detail: (nav.outcome.issue ?? []).map((i) => i.diagnostics ?? '') };
  }
  return {
    message: `unexpected error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    detail: [],
  };
}
