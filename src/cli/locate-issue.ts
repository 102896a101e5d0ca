// Turns a mapping diagnostic (`mappings/referral/mapping.yaml resources[task].expression: … at
// position 12`) into file, line and column in the YAML, for `mappings check` and its --json/--junit.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { locateInYaml } from '../config/yaml-locate.js';
import type { ResultMessage } from './results.js';

const DIAGNOSTIC = /^(\S+?\.(?:ya?ml|json))(?: line (\d+) column (\d+))?(?::? )([\s\S]*)$/;

export function severityOf(issue: OperationOutcomeIssue): ResultMessage['severity'] {
  if (issue.severity === 'error' || issue.severity === 'fatal') return 'error';
  return issue.severity === 'warning' ? 'warning' : 'information';
}

/** `file` is a display name relative to the mappings folder's parent (`mappings/…`). */
export function locateIssue(issue: OperationOutcomeIssue, mappingsDir: string): ResultMessage {
  const diagnostics = issue.diagnostics ?? issue.code;
  const severity = severityOf(issue);
  const m = DIAGNOSTIC.exec(diagnostics);
  if (!m) return { severity, text: diagnostics };
  const [, file, line, column, rest] = m as unknown as [
    string,
    string,
    string | undefined,
    string | undefined,
    string,
  ];
  if (line !== undefined) return { severity, text: rest, file, line: Number(line), column: Number(column) };
  const abs = path.join(path.dirname(path.resolve(mappingsDir)), file);
  if (!existsSync(abs)) return { severity, text: rest, file };
  const position = /at position (\d+)/.exec(rest)?.[1];
  const where = locateInYaml(
    readFileSync(abs, 'utf8'),
    issue.expression?.[0] ?? '',
    position !== undefined ? Number(position) : undefined,
  );
  return { severity, text: rest, file, line: where.line, column: where.column };
}
