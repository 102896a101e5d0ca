// References to resources outside a payload (issue 11 §4): the partner's own id when known, else the
// resource's business identifier; never navbridge's id, which a partner assigning its own ids lacks.
import type { Bundle, CarePlan, Reference, Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import {
  externalTargets,
  resolveExternalReferences,
  withLogicalReferences,
} from '../../../src/payloads/external-references.js';

const REFERRAL = { system: 'https://fhir.navbridge.org.uk/Id/leeds-north/referral', value: 'REF-1' };
const ROLE = { system: 'https://fhir.navbridge.org.uk/Id/leeds-north/referral-requester', value: 'REF-1' };

const task = (): Task => ({
  resourceType: 'Task',
  id: 'task-1',
  status: 'accepted',
  intent: 'order',
  focus: { reference: 'ServiceRequest/sr-ours', type: 'ServiceRequest', identifier: REFERRAL },
  requester: { reference: 'PractitionerRole/role-ours', type: 'PractitionerRole', identifier: ROLE },
  // Already logical: left as it is.
  for: { type: 'Patient', identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' } },
  // In the payload: the transaction links it by fullUrl.
  basedOn: [{ reference: 'CarePlan/plan-1' }],
  // No identifier to fall back on: kept (nothing is invented).
  partOf: [{ reference: 'Task/other' }],
});

const plan: CarePlan = {
  resourceType: 'CarePlan',
  id: 'plan-1',
  status: 'active',
  intent: 'plan',
  subject: {},
};

const bundle = (): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    { fullUrl: 'urn:uuid:task-1', resource: task() },
    {
      fullUrl: 'urn:uuid:plan-1',
      resource: plan,
    },
  ],
});

const taskOf = (b: Bundle) => b.entry?.[0]?.resource as Task;

describe('references to resources outside the payload', () => {
  it('lists the relative references whose target is not an entry', () => {
    expect(externalTargets(bundle())).toEqual([
      { resourceType: 'ServiceRequest', id: 'sr-ours' },
      { resourceType: 'PractitionerRole', id: 'role-ours' },
      { resourceType: 'Task', id: 'other' },
    ]);
  });

  it('finds references nested in arrays and backbone elements, each target once, and none inside an identifier', () => {
    const resource: CarePlan = {
      resourceType: 'CarePlan',
      id: 'plan-2',
      status: 'active',
      intent: 'plan',
      subject: { reference: 'Patient/p-1' },
      identifier: [{ system: 'urn:x', value: '1', assigner: { reference: 'Organization/in-identifier' } }],
      activity: [
        {
          detail: {
            status: 'scheduled',
            performer: [{ reference: 'Organization/o-1' }, { reference: 'Patient/p-1' }],
          },
        },
        { reference: { reference: 'ServiceRequest/sr-2' } },
      ],
      extension: [{ url: 'urn:e', valueReference: { reference: 'Practitioner/pr-1' } }],
    };
    const nested: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource }] };
    expect(externalTargets(nested)).toEqual([
      { resourceType: 'Patient', id: 'p-1' },
      { resourceType: 'Organization', id: 'o-1' },
      { resourceType: 'ServiceRequest', id: 'sr-2' },
      { resourceType: 'Practitioner', id: 'pr-1' },
    ]);
  });

  it("points at the partner's own id where it gave one, else at the business identifier", () => {
    const out = taskOf(
      resolveExternalReferences(bundle(), new Map([['ServiceRequest/sr-ours', 'theirs-42']]), {
        linkEntries: true,
      }),
    );
    expect(out.focus).toEqual({
      reference: 'ServiceRequest/theirs-42',
      type: 'ServiceRequest',
      identifier: REFERRAL,
    });
    expect(out.requester).toEqual({ type: 'PractitionerRole', identifier: ROLE } satisfies Reference);
    expect(out.for).toEqual(task().for);
    expect(out.basedOn).toEqual([{ reference: 'urn:uuid:plan-1' }]);
    expect(out.partOf).toEqual([{ reference: 'Task/other' }]);
  });

  it('rest mode links no entries by fullUrl (each write stands alone)', () => {
    const out = taskOf(resolveExternalReferences(bundle(), new Map(), { linkEntries: false }));
    expect(out.basedOn).toEqual([{ reference: 'CarePlan/plan-1' }]);
    expect(out.focus).toEqual({ type: 'ServiceRequest', identifier: REFERRAL });
  });

  it('messages and documents: logical references, the input unchanged', () => {
    const input = [task()];
    const [out] = withLogicalReferences(input);
    expect(out?.focus).toEqual({ type: 'ServiceRequest', identifier: REFERRAL });
    expect(input[0]).toEqual(task());
  });
});
