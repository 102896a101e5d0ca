// How a sandbox partner server runs as its own process: straight from its TypeScript source through tsx
// (a devDependency), so it needs no build and is never part of dist/. scripts/demo.mjs uses the same
// command line.
import { fileURLToPath } from 'node:url';

/** Absolute path of the sandbox partner's entry point. */
export const SANDBOX_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Arguments for `node` (process.execPath) that start one sandbox partner with `args` for main.ts. */
export function sandboxNodeArgs(args: readonly string[]): string[] {
  return ['--import', 'tsx', SANDBOX_MAIN, ...args];
}
