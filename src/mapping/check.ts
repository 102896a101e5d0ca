// `mappings check`: static checks of a compiled mapping against the loaded conformance — profiles
// exist, code tables name existing CodeSystems and codes, and no disabled function is used.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import { CANONICAL_BASE, IDENTIFIER_SYSTEMS, PROFILES } from '../fhir/canonical.js';
import { BINDING_NAMES } from './bindings.js';
import { literalCodeIssues, unknownNameIssues } from './check-names.js';
import type { CompiledMapping } from './compile.js';
import { didYouMean } from './names.js';
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

/** Each expression with the bindings it sees: `$item`/`$index` inside a forEach entry only. */
function expressionsOf(compiled: CompiledMapping): { expr: CompiledExpression; bindings: string[] }[] {
  const out: { expr: CompiledExpression; bindings: string[] }[] = [];
  for (const r of compiled.resources) {
    const perItem = r.forEach ? [...BINDING_NAMES, 'item', 'index'] : [...BINDING_NAMES];
    for (const e of [r.when, r.key, r.owner, r.expression, r.patch])
      if (e) out.push({ expr: e, bindings: perItem });
    if (r.forEach) out.push({ expr: r.forEach, bindings: [...BINDING_NAMES] });
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
  for (const { expr, bindings } of expressionsOf(compiled)) {
    issues.push(...unknownNameIssues(expr, bindings), ...literalCodeIssues(expr, compiled.codeTables));
    const refs = expr.references();
    for (const name of DISABLED_FUNCTIONS) {
      const use = refs.uses.find((u) => u.name === name);
      if (use) {
        issues.push(
          problem(
            `${describeOrigin(expr)}: uses $${name}, which is disabled in mappings, at position ${use.start}`,
            expr.field,
          ),
        );
      }
    }
    for (const call of refs.calls) {
      const names =
        call.name === 'profile' ? PROFILES : call.name === 'system' ? IDENTIFIER_SYSTEMS : undefined;
      if (names && call.firstArg !== undefined && !Object.hasOwn(names, call.firstArg)) {
        const kind = call.name === 'profile' ? 'profile' : 'identifier system';
        issues.push(
          problem(
            `${describeOrigin(expr)}: $${call.name}() names unknown ${kind} '${call.firstArg}'${didYouMean(call.firstArg, Object.keys(names))}`,
            expr.field,
          ),
        );
      }
      if (
        TABLE_FUNCTIONS.has(call.name) &&
        call.firstArg !== undefined &&
        !compiled.codeTables.has(call.firstArg)
      ) {
        issues.push(
          problem(
            `${describeOrigin(expr)}: $${call.name}() names unknown code table '${call.firstArg}'${didYouMean(call.firstArg, compiled.codeTables.keys())}`,
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
