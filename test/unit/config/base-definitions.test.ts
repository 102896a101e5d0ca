// The slim base definitions' cache: built and written when missing, read when present, rebuilt when it
// cannot be read, and never an error when it cannot be written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  baseDefinitionsFile,
  loadBaseDefinitions,
  primeBaseDefinitions,
} from '../../../src/config/base-definitions.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nb-defs-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('base definitions cache', () => {
  it('is written when missing and read afterwards, named by the definitions and form versions', () => {
    const dir = tempDir();
    const file = baseDefinitionsFile(dir);
    expect(path.basename(file)).toMatch(/^r4-medplum-\d+\.\d+\.\d+-form-\d+\.json$/);
    const built = loadBaseDefinitions(dir);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([path.basename(file)]); // no temporary file left
    const stamp = fs.statSync(file).mtimeMs;
    const read = loadBaseDefinitions(dir);
    expect(fs.statSync(file).mtimeMs).toBe(stamp);
    expect(read).toEqual(built);
    expect(
      read.structureDefinitions.some((sd) => sd.url === 'http://hl7.org/fhir/StructureDefinition/Task'),
    ).toBe(true);
    expect(primeBaseDefinitions(dir)).toEqual({ file, built: false });
  });

  it('is rebuilt when it cannot be read', () => {
    const dir = tempDir();
    const file = baseDefinitionsFile(dir);
    fs.writeFileSync(file, '{"structureDefinitions": [');
    expect(primeBaseDefinitions(dir)).toEqual({ file, built: true });
    expect(loadBaseDefinitions(dir).structureDefinitions.length).toBeGreaterThan(200);
  });

  it('gives the definitions from memory when the cache cannot be written', () => {
    const blocker = path.join(tempDir(), 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    expect(loadBaseDefinitions(blocker).valueSets.length).toBeGreaterThan(500);
    expect(() => primeBaseDefinitions(blocker)).toThrow(/cannot write/);
  });
});
