// `mappings check`: static checks of a compiled mapping against the loaded conformance — profiles
// exist, code tables name existing CodeSystems and codes, and no disabled function is used.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import { CANONICAL_BASE } from '../fhir/canonical.js';
import type { CompiledMapping } from './compile.js';
import { type CompiledExpression, DISABLED_FUNCTIONS, describeOrigin } from './sandbox.js';

export interface CheckMappingOptions {
  /** Canonical URLs of the StructureDefinitions in the loaded conformance (omit to skip). */
  profiles?: ReadonlySet<string>;
  /** CodeSystem canonical URL → its codes, from the loaded conformance (omit to skip). */
  codeSystems?: ReadonlyMap<string, ReadonlySet<string>>;
}

const TABLE_FUNCTIONS = new Set(['code', 'concept', 'tryCode']);
const NAVBRIDGE_CODE_SYSTEM = `${CANONICAL_BASE}/CodeSystem/`;

const problem = (diagnostics: string, expression: string, severity: 'error' | 'warning' = 'error') =>
  issue({
    severity,
    code: severity === 'error' ? 'invalid' : 'informational',
    diagnostics,
    expression,
    errorCode: 'MAPPING_ERROR',
  });

function expressionsOf(compiled: CompiledMapping): CompiledExpression[] {
  const out: CompiledExpression[] = [];
  for (const r of compiled.resources) {
    for (const e of [r.when, r.forEach, r.key, r.owner, r.expression, r.patch]) if (e) out.push(e);
  }
  return out;
}

/** Returns every problem found (errors and warnings); an empty list means the mapping is sound. */
export function checkMapping(
  compiled: CompiledMapping,
  opts: CheckMappingOptions = {},
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const r of compiled.resources) {
    if (opts.profiles && !opts.profiles.has(r.profileUrl)) {
      issues.push(
        problem(
          `${r.file} resources[${r.name}].profile: profile '${r.profile}' is not in the loaded profiles`,
          `resources[${r.name}].profile`,
        ),
      );
    }
  }
  for (const expr of expressionsOf(compiled)) {
    const refs = expr.references();
    for (const name of DISABLED_FUNCTIONS) {
      if (refs.variables.includes(name)) {
        issues.push(
          problem(`${describeOrigin(expr)}: uses $${name}, which is disabled in mappings`, expr.field),
        );
      }
    }
    for (const call of refs.calls) {
      if (
        TABLE_FUNCTIONS.has(call.name) &&
        call.firstArg !== undefined &&
        !compiled.codeTables.has(call.firstArg)
      ) {
        issues.push(
          problem(
            `${describeOrigin(expr)}: $${call.name}() names unknown code table '${call.firstArg}'`,
            expr.field,
          ),
        );
      }
    }
  }
  for (const [name, table] of compiled.codeTables) {
    for (const [code, entry] of table.codes) {
      const path = `tables.${name}.codes.${code}`;
      // Only navbridge's own CodeSystems are in the conformance; SNOMED and local systems are not.
      if (!opts.codeSystems || !entry.system.startsWith(NAVBRIDGE_CODE_SYSTEM)) continue;
      const codes = opts.codeSystems.get(entry.system);
      if (!codes) {
        issues.push(
          problem(`${entry.file} ${path}: CodeSystem ${entry.system} is not in the loaded profiles`, path),
        );
      } else if (!codes.has(entry.code)) {
        issues.push(
          problem(`${entry.file} ${path}: code '${entry.code}' is not in CodeSystem ${entry.system}`, path),
        );
      }
    }
  }
  return issues;
}
