// Writes a golden example into the mappings folder (the playground's "save as golden"), where
// `navbridge mappings test` finds it: `<type>/examples/` for records that name their site, else
// `sites/<site>/examples/<type>/` (mapped with that site, as `mappings test` does).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { conflict, notFound, unprocessable } from '../errors/index.js';
import type { RecordType } from '../records/index.js';
import { findGoldenExamples, type GoldenExample } from './mappings.js';

export interface GoldenFiles {
  recordType: RecordType;
  /** Set: a site-specific golden; absent: a base one (its input names its own site). */
  site?: string;
  name: string;
  format: 'json' | 'csv';
  input: string;
  expected: string;
  /** `<name>.context.json`, when the mapping time or context differ from the golden defaults. */
  context?: string;
  /** Replace an example of the same name. */
  overwrite?: boolean;
}

/** The display names of the files written (`mappings/referral/examples/x.input.json`, …). */
export function writeGoldenExample(mappingsDir: string, g: GoldenFiles): string[] {
  const root = path.resolve(mappingsDir);
  const dir = g.site
    ? path.join(root, 'sites', g.site, 'examples', g.recordType)
    : path.join(root, g.recordType, 'examples');
  const files: [string, string][] = [
    [path.join(dir, `${g.name}.input.${g.format}`), g.input],
    [path.join(dir, `${g.name}.expected.json`), g.expected],
  ];
  const contextFile = path.join(dir, `${g.name}.context.json`);
  if (g.context !== undefined) files.push([contextFile, g.context]);
  const other = path.join(dir, `${g.name}.input.${g.format === 'json' ? 'csv' : 'json'}`);
  if (!g.overwrite && (existsSync(files[0]![0]) || existsSync(other)))
    throw conflict(`a golden example named '${g.name}' already exists here`, { expression: 'name' });
  mkdirSync(dir, { recursive: true });
  // A context left from an earlier example of this name would change how the new one is mapped.
  if (g.context === undefined && existsSync(contextFile) && readFileSync(contextFile, 'utf8') !== '')
    files.push([contextFile, '{}\n']);
  for (const [file, text] of files) writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
  const parent = path.dirname(root);
  return files.map(([f]) => path.relative(parent, f).split(path.sep).join('/'));
}

/** A golden example's expected output, by its label (`mappings/referral/examples/accepted`). */
export function readGoldenExpected(
  mappingsDir: string,
  label: string,
): { example: GoldenExample; expected: unknown } {
  const example = findGoldenExamples(mappingsDir).find((e) => e.label === label);
  if (!example || !existsSync(example.expected)) throw notFound('golden example');
  try {
    return { example, expected: JSON.parse(readFileSync(example.expected, 'utf8')) };
  } catch {
    throw unprocessable(`${label}.expected.json is not valid JSON`);
  }
}
