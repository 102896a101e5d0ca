// Results of `mappings check`, `mappings test` and `validate` in one shape, written for people (text),
// for scripts (--json) and for CI systems (--junit FILE: JUnit XML, which GitLab, Jenkins and GitHub
// annotate per case).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CliIo } from './io.js';

export interface ResultMessage {
  severity: 'error' | 'warning' | 'information';
  text: string;
  /** Where in a file the problem is (mappings check). */
  file?: string;
  line?: number;
  column?: number;
}

export interface CaseResult {
  name: string;
  status: 'passed' | 'failed' | 'updated';
  messages: ResultMessage[];
}

export interface ResultReport {
  /** `mappings check`, `mappings test` or `validate`. */
  command: string;
  cases: CaseResult[];
  summary: Record<string, number>;
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
// Characters XML 1.0 cannot carry at all are dropped (a CI parser would refuse the whole file).
const escapeXml = (s: string): string =>
  s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

export const located = (m: ResultMessage): string =>
  m.file === undefined
    ? m.text
    : `${m.file}${m.line !== undefined ? `:${m.line}:${m.column ?? 1}` : ''} ${m.text}`;

/** JUnit XML: one testsuite per command, one testcase per case, a failure per failed case. */
export function toJunit(report: ResultReport): string {
  const failures = report.cases.filter((c) => c.status === 'failed').length;
  const suite = escapeXml(`navbridge ${report.command}`);
  const cases = report.cases.map((c) => {
    const name = escapeXml(c.name);
    const file = c.messages.find((m) => m.file)?.file;
    const attrs = `classname="${suite}" name="${name}"${file ? ` file="${escapeXml(file)}"` : ''}`;
    if (c.status !== 'failed') {
      const out =
        c.messages.length > 0
          ? `<system-out>${escapeXml(c.messages.map(located).join('\n'))}</system-out>`
          : '';
      return `    <testcase ${attrs}>${out}</testcase>`;
    }
    const errors = c.messages.filter((m) => m.severity === 'error');
    const first = errors[0] ?? c.messages[0];
    const body = escapeXml(c.messages.map((m) => `${m.severity}: ${located(m)}`).join('\n'));
    return `    <testcase ${attrs}>\n      <failure message="${escapeXml(first ? located(first) : 'failed')}" type="${first?.severity ?? 'error'}">${body}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${suite}" tests="${report.cases.length}" failures="${failures}">`,
    `  <testsuite name="${suite}" tests="${report.cases.length}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** `--json` on stdout instead of the text, and `--junit FILE` besides either. */
export function writeReport(
  report: ResultReport,
  opts: { json?: boolean; junit?: string },
  io: CliIo,
  text: () => void,
): void {
  if (opts.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else text();
  if (opts.junit) writeFileSync(path.resolve(io.cwd, opts.junit), toJunit(report));
}
