// Reads YAML (or JSON) files for the loaders: syntax errors name the file, line and column.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { configError, issue } from '../errors/index.js';
import type { SourceFile } from '../mapping/index.js';

export function loadYamlFile(abs: string, name: string): SourceFile {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    throw configError(`${name}: cannot read the file`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw configError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? ` line ${pos.line} column ${pos.col}` : '';
        // Only the first line, without its own position: the rest is a snippet of the file.
        const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return issue({ diagnostics: `${name}${where}: ${e.code} ${message}`, errorCode: 'CONFIG_ERROR' });
      }),
    );
  }
  return { file: name, data: doc.toJS() };
}

/** Freezes a parsed configuration all the way down (settings are read-only once loaded). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
