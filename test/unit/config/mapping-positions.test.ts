// Mapping diagnostics placed at their file, line and column: from the position the YAML parser gave,
// from the path the message names (resources by name, code tables by key), and from a JSONata
// position inside a block expression; never a file outside the mappings folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateDiagnostic, readMappingSource } from '../../../src/config/mapping-positions.js';
import { copyMappingsFolder, removeMappingsFolder } from '../../support/mappings-folder.js';

const FILE = 'mappings/sites/leeds-north/referral.yaml';
const TEXT = [
  'recordType: referral', // 1
  'resources:', // 2
  '  - name: patient', // 3
  '    when: $exists($record.person)', // 4
  '    patch: |', // 5
  '      (', // 6
  '        $x := 1;', // 7
  '        $ ~> | $ | {"gender": $lowercse("X")} |', // 8
  '      )', // 9
  '  - name: task', // 10
  '    patch: $', // 11
  '',
].join('\n');

describe('locateDiagnostic', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyMappingsFolder();
    mkdirSync(path.join(dir, 'sites/leeds-north'), { recursive: true });
    writeFileSync(path.join(dir, 'sites/leeds-north/referral.yaml'), TEXT);
  });
  afterAll(() => removeMappingsFolder(dir));

  it('finds a resource field by the resource name, and spans a block expression', () => {
    expect(locateDiagnostic(dir, `${FILE} resources[task].patch: must evaluate to an object`)).toEqual({
      file: FILE,
      field: 'resources[task].patch',
      line: 11,
      column: 12,
    });
    expect(locateDiagnostic(dir, `${FILE} resources[patient].patch: x`)).toMatchObject({
      line: 5,
      endLine: 9,
    });
  });

  it('turns a JSONata position inside a block expression into the line that holds it', () => {
    const source = '(\n  $x := 1;\n  $ ~> | $ | {"gender": $lowercse("X")} |\n)';
    const position = source.indexOf('$lowercse') + 1;
    const at = locateDiagnostic(
      dir,
      `${FILE} resources[patient].patch: JSONata T1006 at position ${position}: not a function`,
    );
    expect(at).toMatchObject({ line: 8, column: 31 });
    expect(TEXT.split('\n')[7]!.slice(30, 39)).toBe('$lowercse');
  });

  it('keeps the line and column the YAML parser reported, and finds code table entries', () => {
    expect(locateDiagnostic(dir, `${FILE} line 3 column 7: BAD_INDENT bad indentation`)).toEqual({
      file: FILE,
      line: 3,
      column: 7,
    });
    const codes = locateDiagnostic(dir, 'mappings/code-tables.yaml tables.need-domain.codes.benefits: x');
    expect(codes?.line).toBe(
      readMappingSource(dir, 'mappings/code-tables.yaml')!
        .split('\n')
        .findIndex((l) => l.trim().startsWith('benefits:')) + 1,
    );
  });

  it('names the file without a line when the path is not in it, and nothing outside the folder', () => {
    expect(locateDiagnostic(dir, `${FILE} resources[nope].expression: x`)).toEqual({
      file: FILE,
      field: 'resources[nope].expression',
    });
    expect(locateDiagnostic(dir, 'mappings/../../../etc/x.yaml resources: x')?.line).toBeUndefined();
    expect(readMappingSource(dir, 'mappings/../../../etc/passwd')).toBeUndefined();
    expect(locateDiagnostic(dir, 'row 2: person.nhsNumber: invalid')).toBeUndefined();
  });
});
