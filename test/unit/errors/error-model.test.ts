// One error model, as a discipline: errors are built only by the builders (one per code), every
// builder answers with its own code and status, and every stable code navbridge can put in an
// answer is in the README's table.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  badRequest,
  configError,
  conflict,
  ERROR_CODES,
  forbidden,
  mappingError,
  methodNotAllowed,
  notAcceptable,
  notFound,
  serverError,
  tooLarge,
  tooManyRequests,
  unauthorized,
  unavailable,
  unprocessable,
  unsupportedMediaType,
} from '../../../src/errors/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const abs = path.join(dir, name);
    return statSync(abs).isDirectory() ? sourceFiles(abs) : abs.endsWith('.ts') ? [abs] : [];
  });
}

const src = sourceFiles(path.join(ROOT, 'src')).map((f) => ({
  file: path.relative(ROOT, f),
  text: readFileSync(f, 'utf8'),
}));
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const errorSection = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('## Design notes'));

describe('the error model', () => {
  it('builds errors only through the builders of src/errors', () => {
    const offenders = src
      .filter((f) => !f.file.startsWith('src/errors/') && /new NavbridgeError\(/.test(f.text))
      .map((f) => f.file);
    expect(offenders).toEqual([]);
  });

  it('has one builder per code, each answering with its own code and status', () => {
    const built = [
      badRequest('x'),
      unauthorized('x'),
      forbidden('x'),
      notFound(),
      conflict('x'),
      methodNotAllowed('x'),
      notAcceptable('x'),
      tooLarge('x'),
      unsupportedMediaType('x'),
      unprocessable('x'),
      tooManyRequests('x'),
      serverError(),
      unavailable('x'),
      mappingError('x'),
      configError('x'),
    ];
    expect(built.map((e) => e.code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const e of built) {
      expect(e.status).toBe(ERROR_CODES[e.code]);
      expect(e.outcome.issue[0]?.details?.coding?.[0]?.code).toBe(e.code);
    }
  });

  it('lists every error code in the README table with its status', () => {
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      const row = errorSection.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      expect(row, code).toBeDefined();
      expect(row, code).toContain(`| ${status}`);
    }
    const tableCodes = [...errorSection.matchAll(/^\| `([A-Z_]+)` \| \d{3}/gm)].map((m) => m[1]);
    for (const code of tableCodes) expect(Object.keys(ERROR_CODES), code).toContain(code);
  });

  it('documents every stable code and rule id the source can put in an answer', () => {
    const literals = new Set<string>();
    for (const f of src) {
      for (const m of f.text.matchAll(/errorCode(?:: | = )'([A-Z][A-Z0-9_]+)'/g)) literals.add(m[1]!);
      // Record rules name their id as the third argument of fail()/uniqueValues() or of add().
      if (f.file === 'src/records/rules.ts')
        for (const m of f.text.matchAll(/'([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)'/g)) literals.add(m[1]!);
    }
    expect(literals.size).toBeGreaterThan(10);
    const missing = [...literals].filter((c) => !errorSection.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });
});
