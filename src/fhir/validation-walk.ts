// Walks a resource's JSON guided by medplum's parsed schema (profile or base type), calling back for
// every element value with its FHIRPath, FHIR type and schema element: the base for the checks medplum
// lacks (required bindings, calendar dates). Unknown properties are skipped: medplum reports them.
import { tryGetDataType } from '@medplum/core';
import type { MedplumSchema } from './validation-medplum.js';
import { isJsonObject, type JsonObject } from './validation-types.js';

export type SchemaElement = MedplumSchema['elements'][string];

export interface ElementVisit {
  /** FHIRPath of this value, e.g. `Task.businessStatus` or `Patient.name[0].given[1]`. */
  path: string;
  value: unknown;
  /** FHIR type code of the value (`code`, `CodeableConcept`, `dateTime`, `CarePlanActivity`...). */
  type: string;
  element: SchemaElement;
}

export function walkResource(
  resource: JsonObject,
  schema: MedplumSchema,
  profileUrl: string | undefined,
  visit: (v: ElementVisit) => void,
  rootPath: string = schema.type,
): void {
  walkObject(resource, schema, profileUrl, rootPath, visit);
}

function walkObject(
  obj: JsonObject,
  schema: MedplumSchema,
  profileUrl: string | undefined,
  path: string,
  visit: (v: ElementVisit) => void,
): void {
  for (const [key, raw] of Object.entries(obj)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const found = findElement(schema, key);
    if (!found) continue;
    const { element, type } = found;
    const values = Array.isArray(raw) ? raw : [raw];
    values.forEach((value, i) => {
      const p = Array.isArray(raw) ? `${path}.${key}[${i}]` : `${path}.${key}`;
      visit({ path: p, value, type, element });
      // Nested resources (contained, Bundle.entry.resource) are validated on their own.
      if (!isJsonObject(value) || 'resourceType' in value || type === 'Resource') return;
      const child = tryGetDataType(type, profileUrl);
      if (child) walkObject(value, child, profileUrl, p, visit);
    });
  }
}

function findElement(
  schema: MedplumSchema,
  key: string,
): { element: SchemaElement; type: string } | undefined {
  // Own properties only: a key such as `toString` must not find Object.prototype's.
  const direct = Object.hasOwn(schema.elements, key) ? schema.elements[key] : undefined;
  if (direct) return { element: direct, type: direct.type[0]?.code ?? 'Element' };
  for (const [name, element] of Object.entries(schema.elements)) {
    if (!name.endsWith('[x]')) continue;
    const base = name.slice(0, -3);
    if (!key.startsWith(base)) continue;
    const suffix = key.slice(base.length).toLowerCase();
    const t = element.type.find((et) => et.code.toLowerCase() === suffix);
    if (t) return { element, type: t.code };
  }
  return undefined;
}
