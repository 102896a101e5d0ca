// A private copy of the shipped mappings/ folder that a test may break and write goldens into, and
// `navbridge mappings test` run on it through main().
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, run } from '../unit/cli/run.js';

/** `<tmp>/mappings` (named so, as diagnostics name files `mappings/…`). */
export function copyMappingsFolder(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'navbridge-mappings-copy-')), 'mappings');
  cpSync(path.join(ROOT, 'mappings'), dir, { recursive: true });
  return dir;
}

export const removeMappingsFolder = (dir: string | undefined): void => {
  if (dir) rmSync(path.dirname(dir), { recursive: true, force: true });
};

/** `navbridge mappings test --mappings <dir> --profiles profiles [...extra]`. */
export const mappingsTest = (dir: string, extra: string[] = []) =>
  run(['mappings', 'test', '--mappings', dir, '--profiles', path.join(ROOT, 'profiles'), ...extra]);
