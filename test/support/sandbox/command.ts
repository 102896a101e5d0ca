// How a sandbox partner server runs as its own process: straight from its TypeScript source through tsx
// (a devDependency), so it needs no build and is never part of dist/. scripts/demo.mjs uses the same
// command line.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Absolute path of the sandbox partner's entry point. */
export const SANDBOX_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Arguments for `node` (process.execPath) that start one sandbox partner with `args` for main.ts. */
export function sandboxNodeArgs(args: readonly string[]): string[] {
  return ['--import', 'tsx', SANDBOX_MAIN, ...args];
}

/** The JSON line a sandbox partner process prints first, once it listens. */
export interface SandboxReady {
  ready: boolean;
  name: string;
  url: string;
  /** The control endpoint's base URL (--control only). */
  control?: string;
}

export interface SandboxProcess {
  child: ChildProcess;
  /** Its ready line (never settles if the process exits without one). */
  ready: Promise<SandboxReady>;
}

/** Spawns a sandbox partner process; its stderr goes to the test's unless `quiet`. */
export function spawnSandbox(args: readonly string[], opts: { quiet?: boolean } = {}): SandboxProcess {
  const child = spawn(process.execPath, sandboxNodeArgs(args), {
    stdio: ['ignore', 'pipe', opts.quiet ? 'ignore' : 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = once(lines, 'line').then(([first]) => JSON.parse(first as string) as SandboxReady);
  return { child, ready };
}

/** The sandbox processes one test file spawns; `killAll` (afterEach) kills those still running. */
export function sandboxProcesses() {
  const started: ChildProcess[] = [];
  return {
    spawn(args: readonly string[], opts: { quiet?: boolean } = {}): SandboxProcess {
      const proc = spawnSandbox(args, opts);
      started.push(proc.child);
      return proc;
    },
    killAll(): void {
      for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}
