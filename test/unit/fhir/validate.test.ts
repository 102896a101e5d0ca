import type { Bundle, OperationOutcomeIssue, QuestionnaireResponse, Resource } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConformance } from '../../../src/config/profiles.js';
import { hasErrors } from '../../../src/errors/index.js';
import { PROFILES, type ProfileName } from '../../../src/fhir/canonical.js';
import { createValidator, type Validator } from '../../../src/fhir/validate.js';
import { validAssessment, validBundle, validExamples } from './examples.js';

let validator: Validator;
beforeAll(() => {
  validator = createValidator(loadConformance());
});

const errors = (issues: OperationOutcomeIssue[]) =>
  issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
const exprs = (issues: OperationOutcomeIssue[]) => errors(issues).flatMap((i) => i.expression ?? []);
const clone = <T>(x: T): T => structuredClone(x);

describe('valid examples', () => {
  for (const name of Object.keys(PROFILES) as ProfileName[]) {
    it(`${name} passes its profile`, () => {
      const resource = validExamples()[name];
      expect(errors(validator.validateResource(resource, PROFILES[name]))).toEqual([]);
      expect(errors(validator.validateResource(resource))).toEqual([]); // via meta.profile
    });
  }

  it('a Bundle of all examples passes', () => {
    expect(errors(validator.validateBundle(validBundle()))).toEqual([]);
  });
});

describe('structure (medplum)', () => {
  it('reports a missing required element with its path', () => {
    const task = clone(validExamples()['navbridge-referral-task']) as Resource & { focus?: unknown };
    delete task.focus;
    expect(exprs(validator.validateResource(task))).toEqual(['Task.focus']);
  });

  it('reports the concrete choice element, not value[x]', () => {
    const obs = {
      ...validExamples()['navbridge-outcome-observation'],
      effectiveDateTime: '2024-13-01',
    } as Resource;
    expect(exprs(validator.validateResource(obs))).toEqual(['Observation.effectiveDateTime']);
  });

  it('never echoes input values in diagnostics', () => {
    const patient = { ...validExamples()['navbridge-patient'], favouriteName: 'Siobhán' } as Resource;
    const issues = validator.validateResource(patient);
    expect(exprs(issues)).toEqual(['Patient.favouriteName']);
    expect(JSON.stringify(issues)).not.toContain('Siobhán');
    expect(issues[0]?.diagnostics).toBe('Invalid additional property');
  });

  it('turns a profile without a snapshot into an issue instead of throwing', () => {
    const conformance = loadConformance();
    const patientSd = conformance.structureDefinitions.find((s) => s.id === 'navbridge-patient');
    if (!patientSd) throw new Error('fixture');
    const broken = {
      ...patientSd,
      url: 'https://example.org/StructureDefinition/no-snapshot',
      snapshot: undefined,
    };
    const v = createValidator({
      ...conformance,
      structureDefinitions: [...conformance.structureDefinitions, broken],
    });
    const issues = v.validateResource(validExamples()['navbridge-patient'], broken.url);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', code: 'processing', expression: ['Patient'] });
  });
});

describe('required bindings', () => {
  it('rejects a bogus base status (Task.status)', () => {
    const task = { ...validExamples()['navbridge-referral-task'], status: 'bogus' } as Resource;
    const issues = validator.validateResource(task);
    expect(exprs(issues)).toEqual(['Task.status']);
    expect(errors(issues)[0]?.diagnostics).toBe(
      'Code is not in the required ValueSet http://hl7.org/fhir/ValueSet/task-status',
    );
  });

  it.each([
    ['navbridge-support-plan', 'status', 'CarePlan.status'],
    ['navbridge-goal', 'lifecycleStatus', 'Goal.lifecycleStatus'],
    ['navbridge-communication', 'status', 'Communication.status'],
    ['navbridge-communication', 'priority', 'Communication.priority'],
    ['navbridge-flag', 'status', 'Flag.status'],
    ['navbridge-referral', 'intent', 'ServiceRequest.intent'],
    ['navbridge-needs-assessment', 'status', 'QuestionnaireResponse.status'],
  ] as const)('rejects a bogus %s.%s', (name, key, expression) => {
    const r = { ...validExamples()[name], [key]: 'bogus' } as Resource;
    expect(exprs(validator.validateResource(r))).toContain(expression);
  });

  it('rejects a businessStatus outside business-status', () => {
    const task = clone(validExamples()['navbridge-referral-task']);
    task.businessStatus = {
      coding: [{ system: 'https://fhir.navbridge.org.uk/CodeSystem/business-status', code: 'lost' }],
    };
    expect(exprs(validator.validateResource(task))).toEqual(['Task.businessStatus.coding']);
  });

  it('rejects a code from the right code list but the wrong system', () => {
    const goal = clone(validExamples()['navbridge-goal']);
    goal.category = [
      {
        coding: [{ system: 'https://fhir.navbridge.org.uk/CodeSystem/flag-category', code: 'risk-to-self' }],
      },
    ];
    expect(exprs(validator.validateResource(goal))).toEqual(['Goal.category[0].coding']);
  });

  it('checks required bindings inside datatypes (Identifier.use) and backbone elements', () => {
    const plan = clone(validExamples()['navbridge-support-plan']) as Resource & Record<string, unknown>;
    plan.identifier = [{ use: 'nickname', system: 'https://x.example/id', value: '1' }];
    plan.activity = [{ detail: { status: 'dancing' } }];
    expect(exprs(validator.validateResource(plan)).sort()).toEqual([
      'CarePlan.activity[0].detail.status',
      'CarePlan.identifier[0].use',
    ]);
  });
});

describe('calendar dates', () => {
  it.each([
    ['2020-02-30', false],
    ['2021-02-29', false],
    ['2024-02-29', true],
    ['2024-04-31', false],
  ])('Patient.birthDate %s valid=%s', (date, ok) => {
    const p = { ...validExamples()['navbridge-patient'], birthDate: date } as Resource;
    expect(exprs(validator.validateResource(p))).toEqual(ok ? [] : ['Patient.birthDate']);
  });

  it('checks dateTime and instant values', () => {
    const task = {
      ...validExamples()['navbridge-referral-task'],
      authoredOn: '2023-02-29T10:00:00Z',
    } as Resource;
    const task2 = {
      ...validExamples()['navbridge-referral-task'],
      lastModified: '2024-04-31T10:00:00.000Z',
    } as Resource;
    const comm = {
      ...validExamples()['navbridge-communication'],
      sent: '2024-06-31T10:00:00+01:00',
    } as Resource;
    expect(exprs(validator.validateResource(task))).toEqual(['Task.authoredOn']);
    expect(exprs(validator.validateResource(task2))).toEqual(['Task.lastModified']);
    expect(exprs(validator.validateResource(comm))).toEqual(['Communication.sent']);
  });

  it('reports a value medplum rejects by format once, not twice', () => {
    const obs = {
      ...validExamples()['navbridge-outcome-observation'],
      effectiveDateTime: '2024-13-01',
    } as Resource;
    expect(validator.validateResource(obs)).toHaveLength(1);
  });

  it('checks nested dates with their index (Goal.target[0].dueDate)', () => {
    const goal = { ...validExamples()['navbridge-goal'], target: [{ dueDate: '2023-02-29' }] } as Resource;
    expect(exprs(validator.validateResource(goal))).toEqual(['Goal.target[0].dueDate']);
  });
});

describe('bundles', () => {
  it('validates each entry against its own meta.profile, with entry paths', () => {
    const bundle = validBundle();
    const entry = bundle.entry?.[0];
    if (!entry?.resource) throw new Error('fixture');
    entry.resource.meta = { profile: [PROFILES['navbridge-referral']] }; // a Patient claiming the referral profile
    const issues = errors(validator.validateBundle(bundle));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.expression).toEqual(['Bundle.entry[0].resource']);
    expect(issues[0]?.diagnostics).toContain('constrains ServiceRequest, not Patient');
  });

  it('prefixes entry issue paths with Bundle.entry[i].resource', () => {
    const bundle = validBundle();
    const i = bundle.entry?.findIndex((e) => e.resource?.resourceType === 'Task') ?? -1;
    const task = bundle.entry?.[i]?.resource as Resource & { status: string };
    task.status = 'bogus';
    expect(exprs(validator.validateBundle(bundle))).toEqual([`Bundle.entry[${i}].resource.status`]);
  });

  it('applies profile constraints only through meta.profile (a base Patient may lack a name)', () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Patient' } }],
    };
    expect(errors(validator.validateBundle(bundle))).toEqual([]);
    const withProfile = clone(bundle);
    const e = withProfile.entry?.[0];
    if (e?.resource) e.resource.meta = { profile: [PROFILES['navbridge-patient']] };
    expect(exprs(validator.validateBundle(withProfile))).toEqual(['Bundle.entry[0].resource.name']);
  });

  it("keeps the Bundle's own rules that read its entries' resources (bdl-5, bdl-7, bdl-11)", () => {
    const patient = { resourceType: 'Patient', meta: { versionId: '1' } } as Resource;
    const doc: Bundle = {
      resourceType: 'Bundle',
      type: 'document',
      identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:00000000-0000-5000-8000-00000000000a' },
      timestamp: '2025-03-10T15:00:00Z',
      entry: [{ fullUrl: 'urn:uuid:00000000-0000-5000-8000-00000000000b', resource: patient }],
    };
    const diagnostics = (b: Bundle) => errors(validator.validateBundle(b)).map((i) => i.diagnostics);
    expect(diagnostics(doc).join()).toContain('bdl-11');
    const twice: Bundle = { ...doc, type: 'collection', entry: [doc.entry![0]!, doc.entry![0]!] };
    expect(diagnostics(twice).join()).toContain('bdl-7');
    expect(diagnostics({ ...twice, entry: [doc.entry![0]!, { fullUrl: 'urn:uuid:x' }] }).join()).toContain(
      'bdl-5',
    );
  });

  it('reports a urn:uuid reference that resolves to no entry', () => {
    const bundle = validBundle();
    bundle.entry = bundle.entry?.filter((e) => e.resource?.resourceType !== 'Patient');
    const issues = exprs(validator.validateBundle(bundle));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((e) => /^Bundle\.entry\[\d+\]\.resource\.(subject|for)\.reference$/.test(e))).toBe(
      true,
    );
  });
});

describe('QuestionnaireResponse against its Questionnaire', () => {
  const qr = () => clone(validAssessment());

  it('reports an unknown linkId', () => {
    const r = qr();
    r.item?.push({ linkId: 'housing', answer: [{ valueBoolean: true }] });
    expect(exprs(validator.validateResource(r))).toEqual(['QuestionnaireResponse.item[3].linkId']);
  });

  it('reports an answer of the wrong type', () => {
    const r = qr();
    const need = r.item?.[2]?.item?.[0];
    if (!need) throw new Error('fixture');
    need.answer = [{ valueString: 'yes' }];
    expect(exprs(validator.validateResource(r))).toEqual([
      'QuestionnaireResponse.item[2].item[0].answer[0].valueString',
    ]);
  });

  it('reports a choice answer that is not an option, also via answerValueSet', () => {
    const r = qr();
    const priority = r.item?.[2]?.item?.[1]?.answer?.[0]?.valueCoding;
    const diagnosis = r.item?.[1]?.answer?.[1]?.valueCoding;
    if (!priority || !diagnosis) throw new Error('fixture');
    priority.code = 'urgent';
    diagnosis.code = 'flu';
    expect(exprs(validator.validateResource(r)).sort()).toEqual([
      'QuestionnaireResponse.item[1].answer[1].valueCoding',
      'QuestionnaireResponse.item[2].item[1].answer[0].valueCoding',
    ]);
  });

  it('reports missing required items: top level, and children of a present group only', () => {
    const r = qr();
    r.item = r.item?.filter((i) => i.linkId !== 'consent');
    const benefits = r.item?.find((i) => i.linkId === 'benefits');
    if (!benefits) throw new Error('fixture');
    benefits.item = benefits.item?.filter((i) => i.linkId !== 'benefits.need-identified');
    const issues = errors(validator.validateResource(r));
    expect(issues.map((i) => [i.expression?.[0], i.diagnostics])).toEqual([
      ['QuestionnaireResponse.item[1].item', "Required item 'benefits.need-identified' is missing"],
      ['QuestionnaireResponse.item', "Required item 'consent' is missing"],
    ]);
  });

  it('enforces required items on completed and amended responses only (R4)', () => {
    const missingConsent = (status: QuestionnaireResponse['status']) => {
      const r = qr();
      r.status = status;
      r.item = r.item?.filter((i) => i.linkId !== 'consent');
      return errors(validator.validateResource(r)).map((i) => i.diagnostics);
    };
    for (const status of ['completed', 'amended'] as const) {
      expect(missingConsent(status), status).toEqual(["Required item 'consent' is missing"]);
    }
    for (const status of ['in-progress', 'entered-in-error', 'stopped'] as const) {
      expect(missingConsent(status), status).toEqual([]);
    }
  });

  it('still checks the answers of a response that is not completed', () => {
    const r = qr();
    r.status = 'in-progress';
    const need = r.item?.[2]?.item?.[0];
    if (!need) throw new Error('fixture');
    need.answer = [{ valueString: 'yes' }];
    expect(exprs(validator.validateResource(r))).toEqual([
      'QuestionnaireResponse.item[2].item[0].answer[0].valueString',
    ]);
  });

  it('reports repeated answers to a non-repeating item', () => {
    const r = qr();
    const need = r.item?.[2]?.item?.[0];
    if (!need) throw new Error('fixture');
    need.answer = [{ valueBoolean: true }, { valueBoolean: false }];
    expect(exprs(validator.validateResource(r))).toEqual(['QuestionnaireResponse.item[2].item[0].answer']);
  });

  it('accepts a Wales Recovery Plan response against its own Questionnaire', () => {
    const r = qr();
    r.questionnaire = 'https://fhir.navbridge.org.uk/Questionnaire/wales-recovery-plan';
    r.item = [
      r.item?.[0] ?? { linkId: 'consent' },
      {
        linkId: 'finance-money',
        item: [
          { linkId: 'finance-money.need-identified', answer: [{ valueBoolean: false }] },
          { linkId: 'finance-money.where-i-am-now', answer: [{ valueString: 'Behind on rent' }] },
        ],
      },
    ];
    expect(errors(validator.validateResource(r))).toEqual([]);
  });

  it('reports an unknown navbridge Questionnaire', () => {
    const r = { ...qr(), questionnaire: 'https://fhir.navbridge.org.uk/Questionnaire/phq9' };
    expect(exprs(validator.validateResource(r))).toEqual(['QuestionnaireResponse.questionnaire']);
  });
});

describe('errors carry expressions', () => {
  it('every issue of a badly broken bundle has an expression', () => {
    const bundle = validBundle() as Bundle & { entry: { resource: Resource & Record<string, unknown> }[] };
    for (const e of bundle.entry) {
      e.resource.status = 'bogus';
      e.resource.extra = 1;
    }
    const issues = validator.validateBundle(bundle);
    expect(hasErrors(issues)).toBe(true);
    for (const i of issues) expect(i.expression?.length).toBeGreaterThan(0);
  });
});

describe('remembered answers', () => {
  it('a resource validated again gets the same answer, and each caller its own copy', () => {
    const patient = { ...validExamples()['navbridge-patient'], favouriteName: 'x' } as Resource;
    const first = validator.validateResource(patient);
    expect(exprs(first)).toEqual(['Patient.favouriteName']);
    first[0]!.diagnostics = 'changed by a caller';
    first.push({ severity: 'error', code: 'invalid' });
    const second = validator.validateResource(structuredClone(patient));
    expect(exprs(second)).toEqual(['Patient.favouriteName']);
    expect(second[0]?.diagnostics).toBe('Invalid additional property');
    expect(errors(validator.validateResource(validExamples()['navbridge-patient']))).toEqual([]);
  });

  it('is per profile: the same resource against another profile is validated against that one', () => {
    const patient = validExamples()['navbridge-patient'];
    expect(errors(validator.validateResource(patient, PROFILES['navbridge-patient']))).toEqual([]);
    const asTask = validator.validateResource(patient, PROFILES['navbridge-referral-task']);
    expect(errors(asTask).length).toBeGreaterThan(0);
    expect(errors(validator.validateResource(patient, PROFILES['navbridge-patient']))).toEqual([]);
  });

  it('a change anywhere in the resource is validated afresh', () => {
    const obs = validExamples()['navbridge-outcome-observation'] as Resource;
    expect(errors(validator.validateResource(obs))).toEqual([]);
    const bad = { ...obs, effectiveDateTime: '2024-13-01' } as Resource;
    expect(exprs(validator.validateResource(bad))).toEqual(['Observation.effectiveDateTime']);
    expect(errors(validator.validateResource(obs))).toEqual([]);
  });

  it('a large resource is validated every time with the same result', () => {
    const patient = {
      ...validExamples()['navbridge-patient'],
      favouriteName: 'y'.repeat(20_000),
    } as Resource;
    for (let i = 0; i < 2; i++) {
      const issues = validator.validateResource(patient);
      expect(exprs(issues)).toEqual(['Patient.favouriteName']);
      expect(JSON.stringify(issues)).not.toContain('yyyy');
    }
  });
});
