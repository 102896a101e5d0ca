// navbridge's own package facts (`navbridge --version`, CapabilityStatement.software.version).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this file, in src/ and in dist/ alike. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let version: string | undefined;

/** The `version` of navbridge's package.json, read once. */
export function packageVersion(): string {
  if (version === undefined) {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  }
  return version;
}
