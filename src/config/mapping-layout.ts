// Files in mappings/ that the loaders would silently ignore — `sites/x/referal.yaml`, a record-type
// folder misspelt, examples under an unknown type — reported by `mappings check` with the name meant.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { didYouMean } from '../mapping/names.js';
import { RECORD_TYPES } from '../records/index.js';

export interface LayoutProblem {
  /** Display name, e.g. `mappings/sites/x/referal.yaml`. */
  file: string;
  message: string;
}

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
const CONFIG_FILE = /\.(ya?ml|json)$/;
const TOP_FOLDERS = [...RECORD_TYPES, 'sites', 'inbound'];
const TOP_FILES = ['code-tables.yaml'];
const SITE_FILES = ['site.yaml', 'code-tables.yaml', ...RECORD_TYPES.map((t) => `${t}.yaml`)];

/** Every misplaced or misnamed file or folder under the mappings directory, in a stable order. */
export function findLayoutProblems(mappingsDir: string): LayoutProblem[] {
  const root = path.resolve(mappingsDir);
  const name = (...parts: string[]) => [path.basename(root), ...parts].join('/');
  const out: LayoutProblem[] = [];
  const entries = (dir: string) => (isDir(dir) ? readdirSync(dir).sort() : []);
  for (const e of entries(root)) {
    if (isDir(path.join(root, e))) {
      if (!TOP_FOLDERS.includes(e))
        out.push({
          file: name(e),
          message: `folder '${e}' is not a record type, sites or inbound, so it is ignored${didYouMean(e, TOP_FOLDERS)}`,
        });
    } else if (CONFIG_FILE.test(e) && !TOP_FILES.includes(e)) {
      out.push({ file: name(e), message: `'${e}' is not read by navbridge${didYouMean(e, TOP_FILES)}` });
    }
  }
  for (const site of entries(path.join(root, 'sites'))) {
    const dir = path.join(root, 'sites', site);
    if (!isDir(dir)) continue;
    if (!existsSync(path.join(dir, 'site.yaml')))
      out.push({ file: name('sites', site), message: 'the site folder has no site.yaml, so it is ignored' });
    for (const e of entries(dir)) {
      if (e === 'examples' && isDir(path.join(dir, e))) {
        for (const t of entries(path.join(dir, e)))
          if (!(RECORD_TYPES as readonly string[]).includes(t))
            out.push({
              file: name('sites', site, 'examples', t),
              message: `'${t}' is not a record type, so its examples never run${didYouMean(t, RECORD_TYPES)}`,
            });
      } else if (CONFIG_FILE.test(e) && !SITE_FILES.includes(e)) {
        out.push({
          file: name('sites', site, e),
          message: `'${e}' is not a site file (site.yaml, code-tables.yaml or <record-type>.yaml), so it is ignored${didYouMean(e, SITE_FILES)}`,
        });
      }
    }
  }
  for (const m of entries(path.join(root, 'inbound'))) {
    if (isDir(path.join(root, 'inbound', m)) && !existsSync(path.join(root, 'inbound', m, 'mapping.yaml')))
      out.push({ file: name('inbound', m), message: 'the inbound mapping folder has no mapping.yaml' });
  }
  return out;
}
