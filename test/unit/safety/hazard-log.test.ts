// The safety case's evidence is real: every test the DCB0129 hazard log names exists, with that
// title, in that file (a renamed or deleted test fails here), every file it names exists, and each
// hazard and each of its controls names at least one test.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const LOG = readFileSync(path.join(ROOT, 'docs/safety/hazard-log.md'), 'utf8');

/** `test/<file>` "<title>": a named test. */
const NAMED_TEST = /`(test\/[^`]+\.(?:test|suite)\.ts)`\s+"([^"]+)"/g;
/** Any other backticked repository path the log offers as evidence. */
const NAMED_FILE = /`((?:test|mappings|docs)\/[^`\s]+\.[a-z]+)`/g;

const HAZARDS = [
  'Referral lost',
  'Crisis referral accepted without an answer',
  'Content shared without agreement',
  'Update delivered to the wrong practice',
  'Withdrawn referral still acted on',
  'Wrong person matched',
  'Clocks wrong across BST',
  'Service stalled by one partner',
];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether the file declares a test (it/test/describe, with .each or modifiers) of exactly that title. */
function declares(source: string, title: string): boolean {
  const quoted = ["'", '"', '`'].map((q) => `${q}${escapeRe(title)}${q}`).join('|');
  return new RegExp(
    `\\b(?:it|test|describe)(?:\\.(?:each\\([^)]*\\)|only|skip|concurrent|sequential))*\\(\\s*(?:${quoted})\\s*,`,
  ).test(source);
}

/** The log's text for hazard Hn: from its heading to the next. */
function section(n: number): string {
  const start = LOG.indexOf(`## H${n} —`);
  const next = LOG.indexOf('\n## ', start + 1);
  return LOG.slice(start, next === -1 ? undefined : next);
}

describe('DCB0129 hazard log', () => {
  const named = [...LOG.matchAll(NAMED_TEST)].map((m) => ({ file: m[1]!, title: m[2]! }));

  it('names tests as evidence', () => {
    expect(named.length).toBeGreaterThanOrEqual(40);
  });

  it.each(named.map((n) => [`${n.file} › ${n.title}`, n] as const))('%s exists', (_label, n) => {
    const file = path.join(ROOT, n.file);
    expect(existsSync(file), `${n.file} does not exist`).toBe(true);
    expect(declares(readFileSync(file, 'utf8'), n.title), `${n.file} has no test "${n.title}"`).toBe(true);
  });

  it('every other file it names exists', () => {
    const files = [...LOG.matchAll(NAMED_FILE)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(existsSync(path.join(ROOT, f)), f).toBe(true);
  });

  it.each(HAZARDS.map((h, i) => [i + 1, h] as const))(
    'H%i %s: causes, controls, and tests for every control',
    (n, name) => {
      const text = section(n);
      expect(text.startsWith(`## H${n} — ${name}`)).toBe(true);
      for (const part of ['**Harm.**', '**Causes.**', '**Controls.**', '**Residual risk'])
        expect(text, `H${n} lacks ${part}`).toContain(part);
      const controls = text.split(/\n(?=\d+\. \*)/).slice(1);
      expect(controls.length, `H${n} lists no numbered controls`).toBeGreaterThan(0);
      for (const c of controls)
        expect(c, `H${n} control without evidence: ${c.slice(0, 60)}`).toMatch(/`(test|mappings)\//);
    },
  );

  it('every file the DPIA and DTAC self-assessment name exists', () => {
    for (const doc of ['dpia.md', 'dtac.md']) {
      const text = readFileSync(path.join(ROOT, 'docs/safety', doc), 'utf8');
      for (const m of text.matchAll(NAMED_FILE))
        expect(existsSync(path.join(ROOT, m[1]!)), `${doc}: ${m[1]}`).toBe(true);
    }
  });

  it('the checker itself notices a missing test', () => {
    expect(declares("it('a real title', () => {})", 'a real title')).toBe(true);
    expect(declares("it('a real title, longer', () => {})", 'a real title')).toBe(false);
    expect(declares("it.each([1])('a real title', () => {})", 'a real title')).toBe(true);
  });
});
