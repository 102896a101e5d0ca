// `mappings check` for an inverse mapping (mappings/inbound/<name>/mapping.yaml): every `$name` must be
// a binding inbound expressions get or a JSONata function, and a literal `$table('x', …)` must name a
// table of the file — mistakes that otherwise surface only when the first trust referral arrives.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { unknownNameIssues } from '../mapping/check-names.js';
import { didYouMean } from '../mapping/names.js';
import { type CompiledExpression, mappingIssue } from '../mapping/sandbox.js';
import { type CompiledInverseMapping, INBOUND_BINDING_NAMES } from './inverse-mapping.js';

export function checkInverseMapping(m: CompiledInverseMapping): OperationOutcomeIssue[] {
  const expressions: CompiledExpression[] = [...Object.values(m.parts), ...m.checks.map((c) => c.when)];
  const issues: OperationOutcomeIssue[] = [];
  const tables = Object.keys(m.tables);
  for (const expr of expressions) {
    issues.push(...unknownNameIssues(expr, INBOUND_BINDING_NAMES));
    for (const call of expr.references().calls) {
      if (call.name !== 'table' || call.firstArg === undefined || tables.includes(call.firstArg)) continue;
      issues.push({
        ...mappingIssue(
          expr,
          `$table() names unknown table '${call.firstArg}'${didYouMean(call.firstArg, tables)}`,
        ),
        severity: 'error',
        code: 'invalid',
      });
    }
  }
  return issues;
}
