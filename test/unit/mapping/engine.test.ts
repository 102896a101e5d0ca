import { describe, expect, it } from 'vitest';
import { isNavbridgeError } from '../../../src/errors/index.js';
import { bundleId, resourceId } from '../../../src/fhir/ids.js';
import { mapRecord } from '../../../src/mapping/index.js';
import { compile, context, NOW, record } from './helpers.js';

const patient = (expression: string, extra: Record<string, unknown> = {}) => ({
  name: 'patient',
  resourceType: 'Patient',
  profile: 'navbridge-patient',
  expression,
  ...extra,
});

async function mappingError(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (err) {
    if (isNavbridgeError(err)) {
      expect(err.code).toBe('MAPPING_ERROR');
      return err.outcome.issue.map((i) => i.diagnostics ?? '');
    }
    throw err;
  }
  throw new Error('expected the mapping to fail');
}

describe('mapRecord', () => {
  it('builds a collection Bundle with engine-owned ids, profiles and fullUrls', async () => {
    const c = compile([patient('{"gender": "unknown"}')]);
    const bundle = await mapRecord(c, record({ version: 3 }), context());
    const id = resourceId('test-site', 'Patient', 'rec-1', '');
    expect(bundle).toEqual({
      resourceType: 'Bundle',
      id: bundleId('test-site', 'event', 'rec-1', 3),
      type: 'collection',
      timestamp: NOW,
      entry: [
        {
          fullUrl: `urn:uuid:${id}`,
          resource: {
            resourceType: 'Patient',
            id,
            meta: { profile: ['https://fhir.navbridge.org.uk/StructureDefinition/navbridge-patient'] },
            gender: 'unknown',
          },
        },
      ],
    });
  });

  it('keeps resource ids across versions but changes the Bundle id', async () => {
    const c = compile([patient('{"gender": "unknown"}')]);
    const v1 = await mapRecord(c, record({ version: 1 }), context());
    const v2 = await mapRecord(c, record({ version: 2 }), context());
    expect(v1.entry?.[0]?.resource?.id).toBe(v2.entry?.[0]?.resource?.id);
    expect(v1.id).not.toBe(v2.id);
  });

  it('exposes the bindings of docs/architecture.md', async () => {
    const c = compile([
      patient(`{
        "identifier": [$identifier('patient', $record.id), $identifier('patient', $record.missing)],
        "x-id": $id('Task'), "x-ref": $ref('Task', 'a'), "x-idOf": $idOf('Task', 'REF-9'),
        "x-refOf": $refOf('Task', 'REF-9', 'b'), "x-site": $site.id, "x-now": $ctx.now,
        "x-root": $.id, "x-code": $code('need-domain', 'benefits'),
        "x-codes": $code('need-domain', ['benefits', 'accommodation']),
        "x-concept": $concept('need-domain', 'accommodation'), "x-absent": $code('need-domain', $record.nope),
        "x-try": $tryCode('need-domain', 'not-a-domain'),
        "x-profile": $profile('navbridge-goal'), "x-system": $system('chi')
      }`),
    ]);
    const r = (await mapRecord(c, record(), context())).entry?.[0]?.resource as unknown as Record<
      string,
      unknown
    >;
    const cs = 'https://fhir.navbridge.org.uk/CodeSystem/need-domain';
    expect(r.identifier).toEqual([{ system: 'https://id.example.org/test-site/patient', value: 'rec-1' }]);
    expect(r['x-id']).toBe(resourceId('test-site', 'Task', 'rec-1'));
    expect(r['x-ref']).toBe(`urn:uuid:${resourceId('test-site', 'Task', 'rec-1', 'a')}`);
    expect(r['x-idOf']).toBe(resourceId('test-site', 'Task', 'REF-9'));
    expect(r['x-refOf']).toBe(`urn:uuid:${resourceId('test-site', 'Task', 'REF-9', 'b')}`);
    expect(r['x-site']).toBe('test-site');
    expect(r['x-now']).toBe(NOW);
    expect(r['x-root']).toBe('rec-1');
    expect(r['x-code']).toEqual({ system: cs, code: 'benefits', display: 'Benefits' });
    expect(r['x-codes']).toEqual([
      { system: cs, code: 'benefits', display: 'Benefits' },
      { system: cs, code: 'accommodation', display: 'Accommodation' },
    ]);
    expect(r['x-concept']).toEqual({
      coding: [{ system: cs, code: 'accommodation', display: 'Accommodation' }],
      text: 'Accommodation',
    });
    expect(r).not.toHaveProperty('x-absent');
    expect(r).not.toHaveProperty('x-try');
    expect(r['x-profile']).toBe('https://fhir.navbridge.org.uk/StructureDefinition/navbridge-goal');
    expect(r['x-system']).toBe('urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53');
  });

  it('drops null, empty strings, empty arrays and empty objects recursively', async () => {
    const c = compile([
      patient(`{
        "a": null, "b": "", "c": [], "d": {}, "e": {"f": null, "g": [null, {}]},
        "telecom": [$record.phone ? {"system": "phone", "value": $record.phone}, {"system": "email", "value": "x@y.z"}],
        "active": false, "multipleBirthInteger": 0
      }`),
    ]);
    const r = (await mapRecord(c, record(), context())).entry?.[0]?.resource;
    expect(r).toEqual(
      expect.objectContaining({
        telecom: [{ system: 'email', value: 'x@y.z' }],
        active: false,
        multipleBirthInteger: 0,
      }),
    );
    expect(Object.keys(r ?? {}).sort()).toEqual([
      'active',
      'id',
      'meta',
      'multipleBirthInteger',
      'resourceType',
      'telecom',
    ]);
  });

  it('produces a resource only when `when` is true, and rejects non-boolean conditions', async () => {
    const c = compile([
      patient('{"gender": "male"}', { when: '$record.flag = true' }),
      {
        name: 'goal',
        resourceType: 'Goal',
        profile: 'navbridge-goal',
        when: '$record.missing',
        expression: '{"x": 1}',
      },
    ]);
    expect((await mapRecord(c, record({ flag: true }), context())).entry).toHaveLength(1);
    expect((await mapRecord(c, record({ flag: false }), context())).entry).toHaveLength(0);
    const bad = compile([patient('{"gender": "male"}', { when: '$record.flag' })]);
    const diags = await mappingError(mapRecord(bad, record({ flag: 'yes' }), context()));
    expect(diags).toEqual([
      'mappings/test/mapping.yaml resources[patient].when: must evaluate to true or false',
    ]);
  });

  it('makes one resource per forEach element, identified by key, with $item and $index', async () => {
    const c = compile([
      {
        name: 'goal',
        resourceType: 'Goal',
        profile: 'navbridge-goal',
        forEach: '$record.goals',
        key: '$item.id',
        expression: '{"description": {"text": $item.text & " #" & $string($index)}}',
      },
    ]);
    const goals = [
      { id: 'g1', text: 'Housing' },
      { id: 'g2', text: 'Work' },
    ];
    const b = await mapRecord(c, record({ goals }), context());
    expect(b.entry?.map((e) => e.resource?.id)).toEqual([
      resourceId('test-site', 'Goal', 'rec-1', 'g1'),
      resourceId('test-site', 'Goal', 'rec-1', 'g2'),
    ]);
    expect(b.entry?.map((e) => (e.resource as { description?: { text: string } }).description?.text)).toEqual(
      ['Housing #0', 'Work #1'],
    );
    expect((await mapRecord(c, record({ goals: [goals[0]] }), context())).entry).toHaveLength(1);
    expect((await mapRecord(c, record(), context())).entry).toHaveLength(0);
  });

  it('fails on duplicate resource ids, naming both entries', async () => {
    const c = compile([
      {
        name: 'goal',
        resourceType: 'Goal',
        profile: 'navbridge-goal',
        forEach: '$record.goals',
        key: '$item.id',
        expression: '{"x": 1}',
      },
    ]);
    const diags = await mappingError(mapRecord(c, record({ goals: [{ id: 'a' }, { id: 'a' }] }), context()));
    expect(diags[0]).toContain('resources[goal]: produces the same resource id as resources[goal]');
  });

  it('uses `owner` for resources owned by another record (an event updating the referral Task)', async () => {
    const c = compile([
      {
        name: 'task',
        resourceType: 'Task',
        profile: 'navbridge-referral-task',
        owner: '$record.referralId',
        expression: '{"status": "accepted"}',
      },
    ]);
    const b = await mapRecord(c, record({ referralId: 'REF-1' }), context());
    expect(b.entry?.[0]?.resource?.id).toBe(resourceId('test-site', 'Task', 'REF-1', ''));
  });

  it('is deterministic: same input and context give byte-identical JSON', async () => {
    const c = compile([
      patient('{"name": [{"family": $record.family}], "x": $id("Patient")}'),
      {
        name: 'task',
        resourceType: 'Task',
        profile: 'navbridge-referral-task',
        expression: '{"authoredOn": $ctx.now}',
      },
    ]);
    const input = record({ family: 'Ó Súilleabháin 🌻' });
    const a = JSON.stringify(await mapRecord(c, input, context()));
    const b = JSON.stringify(await mapRecord(c, structuredClone(input), context()));
    expect(a).toBe(b);
    expect(a).toContain('Ó Súilleabháin 🌻');
  });

  it('reports every failing resource, naming file and field but no record value', async () => {
    const c = compile([
      patient('{"n": $number($record.secret)}'),
      { name: 'goal', resourceType: 'Goal', profile: 'navbridge-goal', expression: '[1, 2]' },
      {
        name: 'flag',
        resourceType: 'Flag',
        profile: 'navbridge-flag',
        expression: '{"c": $code("need-domain", $record.secret)}',
      },
    ]);
    const diags = await mappingError(mapRecord(c, record({ secret: 'Jane-Doe-1234' }), context()));
    expect(diags).toHaveLength(3);
    expect(diags[0]).toMatch(
      /^mappings\/test\/mapping\.yaml resources\[patient\]\.expression: JSONata D3030 at position \d+/,
    );
    expect(diags[1]).toBe(
      'mappings/test/mapping.yaml resources[goal].expression: must evaluate to an object',
    );
    expect(diags[2]).toBe(
      "mappings/test/mapping.yaml resources[flag].expression: $code(): a code is not in code table 'need-domain'",
    );
    for (const d of diags) expect(d).not.toContain('Jane');
  });

  it("refuses a record whose site is not the context's", async () => {
    const c = compile([patient('{"x": 1}')]);
    const diags = await mappingError(mapRecord(c, record({ site: 'elsewhere' }), context()));
    expect(diags[0]).toContain("the record's site is not the context's site");
  });
});
