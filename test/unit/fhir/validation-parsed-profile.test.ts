// Profiles are parsed once per process and resources validated against the parsed schema (not the raw
// StructureDefinition per call): the result must be what medplum says with the raw profile — never
// weaker — on the valid examples and on every one-step corruption of them.
import { validateResource as medplumValidate, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConformance } from '../../../src/config/profiles.js';
import { PROFILES, type ProfileName } from '../../../src/fhir/canonical.js';
import { createValidator } from '../../../src/fhir/validate.js';
import { runMedplum } from '../../../src/fhir/validation-medplum.js';
import { type ExampleResource, validExamples } from './examples.js';

let profiles: Map<string, StructureDefinition>;
beforeAll(() => {
  const conformance = loadConformance();
  createValidator(conformance); // indexes (and parses) the profiles once
  profiles = new Map(conformance.structureDefinitions.map((sd) => [sd.url, sd]));
});

/** medplum's own answer with the raw profile, as navbridge reports issues. */
function rawIssues(resource: Resource, sd: StructureDefinition): OperationOutcomeIssue[] {
  try {
    return medplumValidate(resource as never, { profile: sd as never }) as unknown as OperationOutcomeIssue[];
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue as unknown as OperationOutcomeIssue[];
    throw err;
  }
}
const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';

const WRONG_VALUES: unknown[] = [null, 7, 'x', {}, [], '2020-13-45'];

/** Every deletion of one property and every replacement of one value, at any depth. */
function* corruptions(r: ExampleResource): Generator<[string, ExampleResource]> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    if (p.length > 0 && p[0] !== 'resourceType') paths.push(p);
    if (v && typeof v === 'object')
      for (const [k, child] of Object.entries(v)) walk(child, [...p, Array.isArray(v) ? Number(k) : k]);
  };
  walk(r, []);
  for (const p of paths) {
    for (const value of [undefined, ...WRONG_VALUES]) {
      const copy = structuredClone(r);
      let parent = copy as unknown as Record<string | number, unknown>;
      for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      const last = p.at(-1) as string | number;
      if (value !== undefined) parent[last] = structuredClone(value);
      else if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      yield [`${p.join('.')} = ${JSON.stringify(value)}`, copy];
    }
  }
}

describe('validation against profiles parsed once', () => {
  for (const name of Object.keys(PROFILES) as ProfileName[]) {
    it(`${name}: the same verdict as medplum with the raw profile, on every corruption`, () => {
      const sd = profiles.get(PROFILES[name]);
      if (!sd) throw new Error(`no profile ${name}`);
      const mismatches: string[] = [];
      for (const [what, resource] of corruptions(validExamples()[name])) {
        const ours = runMedplum(resource, sd).filter(isError);
        const raw = rawIssues(resource, sd).filter(isError);
        // Never weaker: whatever medplum rejects with the raw profile, the parsed profile rejects.
        if (raw.length > 0 && ours.length === 0) mismatches.push(what);
        // Same count of errors whenever medplum rejects the value (same rule, same place).
        else if (raw.length !== ours.length && raw.length > 0) mismatches.push(`${what} (count)`);
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('rejects a choice type the profile excludes (medplum with the raw profile lets some through)', () => {
    const sd = profiles.get(PROFILES['navbridge-outcome-observation']);
    if (!sd) throw new Error('no profile');
    const obs = validExamples()['navbridge-outcome-observation'] as ExampleResource & {
      valueInteger?: number;
    };
    const { valueInteger: _, ...rest } = obs;
    const period = { ...rest, valuePeriod: { start: '2025-03-01' } } as unknown as Resource;
    expect(
      runMedplum(period, sd)
        .filter(isError)
        .flatMap((i) => i.expression),
    ).toEqual(['Observation.valuePeriod']);
    expect(rawIssues(period, sd).filter(isError)).toEqual([]);
  });
});
