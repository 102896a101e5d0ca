// The validator every resource passes before it leaves navbridge (and, later, on receipt): medplum's
// structural validation against the profile snapshot, plus what medplum lacks — required bindings,
// calendar dates, each Bundle entry against its own meta.profile, and QuestionnaireResponses against
// their Questionnaire. Pure: build once with createValidator(conformance) and reuse (indexing is slow).
import { createHash } from 'node:crypto';
import type {
  Bundle,
  OperationOutcomeIssue,
  Questionnaire,
  QuestionnaireResponse,
  Resource,
  StructureDefinition,
} from 'fhir/r4.js';
import { issue } from '../errors/index.js';
import { CANONICAL_BASE } from './canonical.js';
import { cloneJson } from './json.js';
import { checkUrnReferences, prefixIssues } from './validation-bundle.js';
import { checkCalendarDate } from './validation-dates.js';
import { indexDefinitions, runMedplum, tryGetSchema } from './validation-medplum.js';
import { checkQuestionnaireResponse } from './validation-questionnaire.js';
import { checkRequiredBinding, Terminology } from './validation-terminology.js';
import { type Conformance, isJsonObject, type JsonObject, type Validator } from './validation-types.js';
import { walkResource } from './validation-walk.js';

export type { Conformance, Validator } from './validation-types.js';

const stripVersion = (url: string): string => url.split('|')[0] ?? url;

/** How many validation answers a validator remembers (see validateResource). */
export const VALIDATION_MEMO_SIZE = 2_000;
/** Larger resources (their JSON, in characters) are validated every time, never remembered. */
export const VALIDATION_MEMO_MAX_CHARS = 16_384;

export interface ValidatorOptions {
  /** How many answers to remember (see validateResource); 0 validates every time. */
  memoSize?: number;
}

export function createValidator(conformance: Conformance, options: ValidatorOptions = {}): Validator {
  const memoSize = options.memoSize ?? VALIDATION_MEMO_SIZE;
  const base = conformance.base?.();
  indexDefinitions(conformance.structureDefinitions, base);
  const profiles = new Map<string, StructureDefinition>(
    conformance.structureDefinitions.map((sd) => [sd.url, sd]),
  );
  const questionnaires = new Map<string, Questionnaire>();
  for (const q of conformance.questionnaires) if (q.url) questionnaires.set(q.url, q);
  const terminology = new Terminology(conformance.codeSystems, conformance.valueSets, base);

  /** Everything medplum lacks, walking the resource with the profile's (or base type's) schema. */
  function extraChecks(resource: JsonObject, type: string, profileUrl?: string): OperationOutcomeIssue[] {
    const schema = tryGetSchema(type, profileUrl);
    if (!schema) return [];
    const issues: OperationOutcomeIssue[] = [];
    walkResource(resource, schema, profileUrl, (v) => {
      issues.push(...checkRequiredBinding(terminology, v), ...checkCalendarDate(v));
    });
    return issues;
  }

  function checkAgainstQuestionnaire(resource: JsonObject): OperationOutcomeIssue[] {
    const qr = resource as unknown as QuestionnaireResponse;
    if (!qr.questionnaire) return [];
    const q = questionnaires.get(stripVersion(qr.questionnaire));
    if (q) return checkQuestionnaireResponse(qr, q.item ?? [], terminology);
    // Only our own Questionnaires must be known; others cannot be checked here.
    if (!qr.questionnaire.startsWith(`${CANONICAL_BASE}/`)) return [];
    return [
      issue({
        diagnostics: 'Questionnaire is not one navbridge publishes',
        expression: 'QuestionnaireResponse.questionnaire',
      }),
    ];
  }

  function validateOne(
    resource: JsonObject,
    type: string,
    profileUrl: string | undefined,
  ): OperationOutcomeIssue[] {
    const sd = profileUrl ? profiles.get(profileUrl) : undefined;
    if (profileUrl && !sd) {
      return [issue({ code: 'not-found', diagnostics: `Unknown profile ${profileUrl}`, expression: type })];
    }
    if (sd && sd.type !== type) {
      return [
        issue({ diagnostics: `Profile ${sd.url} constrains ${sd.type}, not ${type}`, expression: type }),
      ];
    }
    const structural = runMedplum(resource as unknown as Resource, sd);
    // A value medplum already rejected (e.g. by format) needs no second issue from our checks.
    const reported = new Set(structural.flatMap((i) => i.expression ?? []));
    const extra = extraChecks(resource, type, sd?.url).filter(
      (i) => !i.expression?.some((e) => reported.has(e)),
    );
    return [...structural, ...extra];
  }

  // The same resource validated again gets the same answer: validation is a pure function of the
  // resource's content and this validator's profiles (no clock, no I/O). The sender's organisations,
  // practitioners, locations and services recur from message to message (a BaRS referral carries a
  // dozen), so answers are remembered by a digest of the resource's JSON and the profile asked for —
  // the last `memoSize` of them, resources up to VALIDATION_MEMO_MAX_CHARS only — and each
  // caller gets its own copy of the issues.
  const memo = new Map<string, OperationOutcomeIssue[]>();
  function validateResource(resource: Resource, profileUrl?: string): OperationOutcomeIssue[] {
    if (memoSize === 0) return validateNow(resource, profileUrl);
    const json = JSON.stringify(resource);
    if (json === undefined || json.length > VALIDATION_MEMO_MAX_CHARS)
      return validateNow(resource, profileUrl);
    const key = createHash('sha256')
      .update(profileUrl ?? '')
      .update('\u0000')
      .update(json)
      .digest('base64');
    let issues = memo.get(key);
    if (issues) {
      memo.delete(key); // most recently used last
    } else {
      issues = validateNow(resource, profileUrl);
      if (memo.size >= memoSize) memo.delete(memo.keys().next().value as string);
    }
    memo.set(key, issues);
    return issues.length === 0 ? [] : cloneJson(issues);
  }

  function validateNow(resource: Resource, profileUrl?: string): OperationOutcomeIssue[] {
    const r: unknown = resource;
    if (!isJsonObject(r) || typeof r.resourceType !== 'string') {
      return [
        issue({
          code: 'structure',
          diagnostics: 'Not a FHIR resource: resourceType is missing',
          expression: 'resourceType',
        }),
      ];
    }
    const type = r.resourceType;
    const issues: OperationOutcomeIssue[] = [];
    let targets: (string | undefined)[];
    if (profileUrl) {
      targets = [stripVersion(profileUrl)];
    } else {
      const declared = (resource.meta?.profile ?? []).map(stripVersion);
      targets = declared.filter((u) => profiles.has(u));
      for (const unknown of declared.filter((u) => !profiles.has(u))) {
        issues.push(
          issue({
            severity: 'warning',
            code: 'not-found',
            diagnostics: `Profile ${unknown} is not known: not checked`,
            expression: `${type}.meta.profile`,
          }),
        );
      }
      if (targets.length === 0) targets = [undefined];
    }
    for (const target of targets) issues.push(...validateOne(r, type, target));
    if (type === 'QuestionnaireResponse') issues.push(...checkAgainstQuestionnaire(r));
    return dedupe(issues);
  }

  function validateBundle(bundle: Bundle): OperationOutcomeIssue[] {
    const entries = bundle.entry ?? [];
    // The Bundle's own rules (bdl-*); issues inside entry resources come from validating each entry below.
    const issues = validateOne(bundleShell(bundle), 'Bundle', undefined).filter(
      (i) => !(i.expression ?? []).some((e) => /^Bundle\.entry\[\d+\]\.resource\b/.test(e)),
    );
    entries.forEach((entry, i) => {
      if (!entry.resource) return;
      issues.push(
        ...prefixIssues(
          validateResource(entry.resource),
          entry.resource.resourceType,
          `Bundle.entry[${i}].resource`,
        ),
      );
    });
    issues.push(...checkUrnReferences(bundle));
    return issues;
  }

  return { validateResource, validateBundle };
}

/**
 * The Bundle with each entry's resource cut to what the Bundle's own rules read (bdl-7: meta.versionId;
 * bdl-5, bdl-11, bdl-12: that it exists and its type). Each entry is validated on its own against its
 * profile; crawling the whole resources here too only doubled the work (their issues were dropped).
 */
function bundleShell(bundle: Bundle): JsonObject {
  const entry = bundle.entry?.map((e) => {
    const r = e.resource;
    if (!isJsonObject(r)) return e;
    const versionId = r.meta?.versionId;
    return {
      ...e,
      resource: { resourceType: r.resourceType, ...(versionId ? { meta: { versionId } } : {}) },
    };
  });
  return { ...bundle, ...(entry ? { entry } : {}) } as unknown as JsonObject;
}

function dedupe(issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = JSON.stringify([i.severity, i.code, i.diagnostics, i.expression]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
