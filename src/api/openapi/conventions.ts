// What every operation of the OpenAPI description carries, added in one place: an operationId derived
// from method and path (stable, unique: a test checks), and the record bodies as JSON Schemas generated
// from the zod schemas the API validates with (z.toJSONSchema), not a hand-kept copy.
import { z } from 'zod';
import { RECORD_SCHEMAS } from '../../records/check.js';
import { RECORD_TYPES } from '../../records/codes.js';
import type { Json } from './common.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** `post /admin/dead-letters/{id}/replay` → `postAdminDeadLettersIdReplay`; `$validate` → `Validate`. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split(/[/{}\-$._]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return `${method}${words.join('') || 'Root'}`;
}

/** Sets `operationId` on every operation that has none. */
export function withOperationIds(paths: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [path, item] of Object.entries(paths)) {
    const ops: Json = { ...item };
    for (const m of METHODS) {
      const op = ops[m] as Json | undefined;
      if (op) ops[m] = { operationId: operationIdOf(m, path), ...op };
    }
    out[path] = ops;
  }
  return out;
}

const schemaName = (type: string) =>
  `${type
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}Record`;

/** components.schemas: ReferralRecord, AssessmentRecord, SupportPlanRecord, EventRecord (zod → JSON Schema). */
export function recordSchemas(): Json {
  return Object.fromEntries(
    RECORD_TYPES.map((type) => {
      const { $schema: _drop, ...schema } = z.toJSONSchema(RECORD_SCHEMAS[type], {
        target: 'draft-2020-12',
        io: 'input',
        unrepresentable: 'any',
      }) as Json;
      return [schemaName(type), schema];
    }),
  );
}

/** The body of POST /api/v1/records: one branch per record type, each with its typed record. */
export function recordSubmission(): Json {
  return {
    oneOf: RECORD_TYPES.map((type) => ({
      type: 'object',
      required: ['recordType', 'record'],
      properties: {
        recordType: { const: type },
        record: { $ref: `#/components/schemas/${schemaName(type)}` },
      },
      additionalProperties: false,
    })),
  };
}
