// FHIR $validate (POST /fhir/{type}/$validate and /fhir/$validate): a resource, or a Parameters with
// `resource` and `profile`, checked against navbridge's profiles. Nothing is stored; the answer is an
// OperationOutcome whatever the verdict (FHIR operation-resource-validate).
import type { Bundle, OperationOutcome, Parameters, Resource } from 'fhir/r4.js';
import { badRequest, issue, outcome } from '../errors/index.js';
import { PROFILES } from '../fhir/canonical.js';
import type { ServiceDeps } from './types.js';

export interface ValidateInput {
  /** The type in the path (`/fhir/Task/$validate`); the resource must be of it. */
  type?: string;
  body: unknown;
  /** `?profile=` (a short name such as navbridge-referral-task, or its canonical URL). */
  profile?: string;
}

const isResource = (v: unknown): v is Resource =>
  typeof v === 'object' && v !== null && typeof (v as { resourceType?: unknown }).resourceType === 'string';

function profileUrlOf(name: string): string {
  if (Object.hasOwn(PROFILES, name)) return PROFILES[name as keyof typeof PROFILES];
  if ((Object.values(PROFILES) as string[]).includes(name)) return name;
  throw badRequest(`profile: not a navbridge profile (one of ${Object.keys(PROFILES).join(', ')})`, {
    code: 'value',
    expression: 'profile',
  });
}

/** Unwraps a Parameters body (`resource`, optional `profile`) into the resource and profile to check. */
function readInput(input: ValidateInput): { resource: Resource; profile?: string } {
  if (!isResource(input.body))
    throw badRequest('body: must be a FHIR resource (resourceType)', { code: 'structure' });
  let resource: Resource = input.body;
  let profile = input.profile;
  if (resource.resourceType === 'Parameters' && input.type !== 'Parameters') {
    const params = (resource as Parameters).parameter ?? [];
    const wrapped = params.find((p) => p.name === 'resource')?.resource;
    if (!isResource(wrapped))
      throw badRequest('Parameters.parameter: needs a `resource` parameter holding the resource', {
        code: 'required',
        expression: 'Parameters.parameter',
      });
    resource = wrapped;
    const p = params.find((x) => x.name === 'profile');
    profile = profile ?? p?.valueCanonical ?? p?.valueUri ?? p?.valueString;
  }
  if (input.type !== undefined && resource.resourceType !== input.type)
    throw badRequest(`resourceType: must be ${input.type}, as in the path`, {
      code: 'value',
      expression: 'resourceType',
    });
  return { resource, ...(profile !== undefined ? { profile: profileUrlOf(profile) } : {}) };
}

export function validateFhirResource(
  deps: Pick<ServiceDeps, 'validator'>,
  input: ValidateInput,
): OperationOutcome {
  const { resource, profile } = readInput(input);
  const issues =
    resource.resourceType === 'Bundle' && !profile
      ? deps.validator.validateBundle(resource as Bundle)
      : deps.validator.validateResource(resource, profile);
  return outcome(
    issues.length > 0
      ? issues
      : [issue({ severity: 'information', code: 'informational', diagnostics: 'valid' })],
  );
}
