// Static name checks of one compiled expression (`mappings check`): every `$name` it uses must be a
// binding navbridge gives, a JSONata function or a name the expression binds itself; every literal
// code given to $code/$concept must be in its table. Each problem names the nearest valid name.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import type { CodeTables } from './code-tables.js';
import { didYouMean, JSONATA_FUNCTIONS } from './names.js';
import { type CompiledExpression, mappingIssue } from './sandbox.js';

const problem = (expr: CompiledExpression, message: string): OperationOutcomeIssue => ({
  ...mappingIssue(expr, message),
  severity: 'error',
  code: 'invalid',
});

/** `$sitee.priority` (unknown binding) and `$lowercse()` (unknown function), with a suggestion each. */
export function unknownNameIssues(
  expr: CompiledExpression,
  bindings: readonly string[],
): OperationOutcomeIssue[] {
  const refs = expr.references();
  const values = new Set([...bindings, ...refs.declared]);
  const functions = new Set([...JSONATA_FUNCTIONS, ...values]);
  const out: OperationOutcomeIssue[] = [];
  const reported = new Set<string>();
  for (const use of refs.uses) {
    const known = use.called ? functions.has(use.name) : values.has(use.name) || functions.has(use.name);
    if (known || reported.has(use.name)) continue;
    reported.add(use.name);
    out.push(
      problem(
        expr,
        use.called
          ? `unknown function $${use.name}()${didYouMean(use.name, functions, '$')} at position ${use.start}`
          : `unknown binding $${use.name}${didYouMean(use.name, values, '$')} at position ${use.start}`,
      ),
    );
  }
  return out;
}

const LITERAL_CODE_FUNCTIONS = new Set(['code', 'concept']);

/** `$concept('referral-route', 'carrier-pigeon')`: a literal code its table does not hold. */
export function literalCodeIssues(expr: CompiledExpression, tables: CodeTables): OperationOutcomeIssue[] {
  const out: OperationOutcomeIssue[] = [];
  for (const call of expr.references().calls) {
    if (!LITERAL_CODE_FUNCTIONS.has(call.name) || call.firstArg === undefined) continue;
    const table = tables.get(call.firstArg);
    if (!table || call.secondArg === undefined || table.codes.has(call.secondArg)) continue;
    const where = call.position !== undefined ? ` at position ${call.position}` : '';
    out.push(
      problem(
        expr,
        `$${call.name}('${call.firstArg}', '${call.secondArg}'): code '${call.secondArg}' is not in code table '${call.firstArg}'${didYouMean(call.secondArg, table.codes.keys())}${where}`,
      ),
    );
  }
  return out;
}
