// Runs the CLI through main() with captured output, from the repository root.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../../src/cli/main.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export async function run(
  argv: string[],
  cwd = ROOT,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
    env: {},
  });
  return { code, stdout, stderr };
}

/** A private copy of the shipped mappings/ that a test may break; returns its path (…/mappings). */
export function copyAllMappings(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'navbridge-mappings-'));
  const m = path.join(dir, 'mappings');
  cpSync(path.join(ROOT, 'mappings'), m, { recursive: true });
  return m;
}

/** Replaces the first `from` in a file; fails loudly when the fixture text moved. */
export function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`fixture text not found: ${from}`);
  writeFileSync(file, text.replace(from, to));
}

/** The 1-based line of the first occurrence of `text` in a file, to check reported positions. */
export function lineOf(file: string, text: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`text not found: ${text}`);
  return i + 1;
}
