// Bundle helpers: re-rooting an entry's issue paths under `Bundle.entry[i].resource`, and checking that
// every `urn:uuid:` reference resolves to an entry's fullUrl (medplum cannot type such references).
import type { Bundle, OperationOutcomeIssue } from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import { isJsonObject } from './validation-types.js';

/** `Patient.name[0]` → `Bundle.entry[2].resource.name[0]`. */
export function prefixIssues(
  issues: OperationOutcomeIssue[],
  resourceType: string,
  prefix: string,
): OperationOutcomeIssue[] {
  const rebase = (e: string): string =>
    e === resourceType
      ? prefix
      : e.startsWith(`${resourceType}.`)
        ? `${prefix}${e.slice(resourceType.length)}`
        : `${prefix}.${e}`;
  return issues.map((i) =>
    i.expression ? { ...i, expression: i.expression.map(rebase) } : { ...i, expression: [prefix] },
  );
}

export function checkUrnReferences(bundle: Bundle): OperationOutcomeIssue[] {
  const fullUrls = new Set((bundle.entry ?? []).map((e) => e.fullUrl).filter((u): u is string => !!u));
  const issues: OperationOutcomeIssue[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, `${path}[${i}]`);
      });
      return;
    }
    if (!isJsonObject(value)) return;
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string' && v.startsWith('urn:uuid:') && !fullUrls.has(v)) {
        issues.push(
          issue({
            diagnostics: 'Reference does not resolve to an entry of the Bundle',
            expression: `${path}.reference`,
          }),
        );
      } else {
        walk(v, `${path}.${k}`);
      }
    }
  };
  (bundle.entry ?? []).forEach((e, i) => {
    walk(e.resource, `Bundle.entry[${i}].resource`);
  });
  return issues;
}
