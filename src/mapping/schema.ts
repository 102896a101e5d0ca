// The mapping file format (docs/architecture.md "Mapping files"): zod schemas for base mappings,
// site overrides and code tables. Unknown keys are rejected so a misspelt field never silently does nothing.
import { z } from 'zod';
import { PROFILES, type ProfileName } from '../fhir/canonical.js';

import { RECORD_TYPES } from '../records/codes.js';

const profileNames = Object.keys(PROFILES) as [ProfileName, ...ProfileName[]];

const resourceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'must be a kebab-case name such as patient or risk-flag');
const resourceType = z.string().regex(/^[A-Z][A-Za-z]+$/, 'must be a FHIR resource type such as Patient');
const expression = z.string().min(1, 'must be a JSONata expression');
const profile = z.enum(profileNames, { error: 'must be a profile short name from src/fhir/canonical.ts' });

const resourceFields = {
  resourceType,
  profile,
  /** JSONata → boolean; the resource is produced only when true. Evaluated once, before forEach. */
  when: expression.optional(),
  /** JSONata → array; one resource per element ($item, $index). */
  forEach: expression.optional(),
  /** JSONata → string: the sub-id of each forEach resource (goal id, step id...). */
  key: expression.optional(),
  /** Constant sub-id for a single resource (e.g. 'requester'). */
  subId: z.string().max(200).optional(),
  /** JSONata → string: the id of the record owning the resource (default: this record's id). */
  owner: expression.optional(),
  /** JSONata → the resource body (without resourceType, id, meta.profile). */
  expression,
};

function checkForEachKey(
  entry: { forEach?: string | undefined; key?: string | undefined; subId?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (entry.forEach !== undefined && entry.key === undefined) {
    ctx.addIssue({ code: 'custom', path: ['key'], message: 'is required with forEach' });
  }
  if (entry.forEach === undefined && entry.key !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['key'], message: 'is only allowed with forEach' });
  }
  if (entry.forEach !== undefined && entry.subId !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['subId'], message: 'cannot be combined with forEach (use key)' });
  }
}

export const resourceMappingSchema = z
  .object({ name: resourceName, ...resourceFields })
  .strict()
  .superRefine(checkForEachKey);
export type ResourceMapping = z.infer<typeof resourceMappingSchema>;

function uniqueNames(resources: readonly { name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  resources.forEach((r, i) => {
    if (seen.has(r.name)) {
      ctx.addIssue({ code: 'custom', path: ['resources', i, 'name'], message: 'must be unique in the file' });
    }
    seen.add(r.name);
  });
}

export const mappingFileSchema = z
  .object({
    recordType: z.enum(RECORD_TYPES),
    description: z.string().max(2000).optional(),
    resources: z.array(resourceMappingSchema).min(1),
  })
  .strict()
  .superRefine((file, ctx) => uniqueNames(file.resources, ctx));
export type MappingFile = z.infer<typeof mappingFileSchema>;

/**
 * A site override entry. Naming a base resource: `patch` (JSONata, `$` = the base output) and/or
 * replaced fields, or `remove: true`. A new name adds a resource (then resourceType, profile and
 * expression are required; checked when merging, where the base is known).
 */
export const overrideEntrySchema = z
  .object({
    name: resourceName,
    resourceType: resourceType.optional(),
    profile: profile.optional(),
    when: expression.optional(),
    forEach: expression.optional(),
    key: expression.optional(),
    subId: z.string().max(200).optional(),
    owner: expression.optional(),
    expression: expression.optional(),
    patch: expression.optional(),
    remove: z.literal(true).optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.remove && Object.keys(entry).some((k) => k !== 'name' && k !== 'remove')) {
      ctx.addIssue({ code: 'custom', path: ['remove'], message: 'cannot be combined with other fields' });
    }
  });
export type OverrideEntry = z.infer<typeof overrideEntrySchema>;

export const mappingOverrideSchema = z
  .object({
    recordType: z.enum(RECORD_TYPES),
    description: z.string().max(2000).optional(),
    resources: z.array(overrideEntrySchema).min(1),
  })
  .strict()
  .superRefine((file, ctx) => uniqueNames(file.resources, ctx));
export type MappingOverride = z.infer<typeof mappingOverrideSchema>;

const codeKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a code (no spaces)');

export const codeEntrySchema = z
  .object({
    display: z.string().min(1).max(500),
    /** The code to emit when it differs from the record code (e.g. a site's local code). */
    code: z.string().min(1).max(200).optional(),
    /** The system to emit for this code when it differs from the table's. */
    system: z.string().min(1).optional(),
  })
  .strict();

/** `system`: a navbridge CodeSystem id (src/fhir/canonical.ts) or an absolute URL/URN. */
export const codeTableSchema = z
  .object({
    system: z.string().min(1).optional(),
    codes: z.record(codeKey, codeEntrySchema),
  })
  .strict();

export const codeTablesFileSchema = z
  .object({
    tables: z.record(
      z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a kebab-case table name'),
      codeTableSchema,
    ),
  })
  .strict();
export type CodeTablesFile = z.infer<typeof codeTablesFileSchema>;
