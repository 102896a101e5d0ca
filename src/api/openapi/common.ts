// Building blocks of the OpenAPI description: error responses, JSON and FHIR bodies, parameters and
// the security requirements of each kind of caller.

export type Json = Record<string, unknown>;

export const OO = { $ref: '#/components/schemas/OperationOutcome' };
export const errors = (...codes: number[]): Json =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      {
        description: ERROR_TEXT[c] ?? 'error',
        content: { 'application/fhir+json': { schema: OO } },
      },
    ]),
  );
export const ERROR_TEXT: Record<number, string> = {
  400: 'Bad request (every problem, with its path)',
  401: 'Credentials missing or invalid (REC_UNAUTHORIZED)',
  403: 'The caller may not do this (REC_FORBIDDEN)',
  404: 'Not found, or not this caller’s (REC_NOT_FOUND)',
  405: 'Interaction not supported on this type (REC_METHOD_NOT_ALLOWED; Allow lists those that are)',
  406: 'Only application/fhir+json of BaRS 1.x is produced (REC_NOT_ACCEPTABLE: _format=xml, Accept: application/fhir+xml, a higher BaRS major version)',
  409: 'Conflict (REC_CONFLICT)',
  413: 'Body too large',
  415: 'Unsupported content type',
  422: 'Unprocessable (REC_UNPROCESSABLE_ENTITY)',
  425: 'The same X-Request-Id is still being processed: retry later (REC_TOO_EARLY)',
};
export const json = (schema: Json, description = 'OK'): Json => ({
  description,
  content: { 'application/json': { schema } },
});
export const fhir = (schema: Json, description = 'OK'): Json => ({
  description,
  content: { 'application/fhir+json': { schema } },
});
export const idParam = (description: string): Json => ({
  name: 'id',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
export const query = (name: string, schema: Json, description: string): Json => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
export const SITE = [{ apiKey: [] }, { adminToken: [] }];
export const ADMIN = [{ adminToken: [] }];
export const PARTNER = [{ partnerJwt: [] }, { adminToken: [] }];
export const anyObject = { type: 'object', additionalProperties: true };
export const fhirResource = (type: string) => ({
  type: 'object',
  required: ['resourceType'],
  properties: { resourceType: { const: type } },
  additionalProperties: true,
});
