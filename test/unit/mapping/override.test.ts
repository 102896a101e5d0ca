import { describe, expect, it } from 'vitest';
import { isNavbridgeError } from '../../../src/errors/index.js';
import { checkMapping, compileMapping, mapRecord } from '../../../src/mapping/index.js';
import { compile, context, record, TABLES } from './helpers.js';

const base = [
  {
    name: 'patient',
    resourceType: 'Patient',
    profile: 'navbridge-patient',
    expression: '{"gender": "female"}',
  },
  {
    name: 'goal',
    resourceType: 'Goal',
    profile: 'navbridge-goal',
    expression: '{"category": [$concept("need-domain", "benefits")]}',
  },
  { name: 'flag', resourceType: 'Flag', profile: 'navbridge-flag', expression: '{"status": "active"}' },
];

const types = async (c: ReturnType<typeof compile>) =>
  (await mapRecord(c, record(), context())).entry?.map((e) => e.resource?.resourceType);

function configErrors(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (!isNavbridgeError(err)) throw err;
    expect(err.code).toBe('CONFIG_ERROR');
    return err.outcome.issue.map((i) => i.diagnostics ?? '');
  }
  throw new Error('expected a CONFIG_ERROR');
}

describe('site overrides', () => {
  it('patches a base resource with $ = its output, keeping engine-owned fields', async () => {
    const c = compile(base, {
      override: [{ name: 'patient', patch: '$merge([$, {"birthDate": "1990-01-01", "id": "hijack"}])' }],
    });
    const r = (await mapRecord(c, record(), context())).entry?.[0]?.resource;
    expect(r).toMatchObject({ resourceType: 'Patient', gender: 'female', birthDate: '1990-01-01' });
    expect(r?.id).not.toBe('hijack');
  });

  it('replaces expression and when, removes and adds resources', async () => {
    const c = compile(base, {
      override: [
        { name: 'patient', expression: '{"gender": "other"}' },
        { name: 'goal', when: 'false' },
        { name: 'flag', remove: true },
        {
          name: 'extra',
          resourceType: 'Communication',
          profile: 'navbridge-communication',
          expression: '{"status": "completed"}',
        },
      ],
    });
    expect(await types(c)).toEqual(['Patient', 'Communication']);
    const r = (await mapRecord(c, record(), context())).entry?.[0]?.resource;
    expect(r).toMatchObject({ gender: 'other' });
  });

  it('names the override file in diagnostics of overridden fields, the base file for the rest', async () => {
    const c = compile(base, { override: [{ name: 'patient', patch: '$number("x")' }] });
    try {
      await mapRecord(c, record(), context());
      throw new Error('expected failure');
    } catch (err) {
      if (!isNavbridgeError(err)) throw err;
      expect(err.outcome.issue[0]?.diagnostics).toMatch(
        /^mappings\/sites\/test-site\/event\.yaml resources\[patient\]\.patch:/,
      );
    }
  });

  it('rejects incomplete additions, patches of unknown resources, and unknown keys — all at once', () => {
    const diags = configErrors(() =>
      compile(base, {
        override: [
          { name: 'newone', expression: '{}' },
          { name: 'ghost', patch: '$' },
          { name: 'patient', colour: 'blue' },
          { name: 'nothing', remove: true },
        ],
      }),
    );
    expect(diags).toEqual(['mappings/sites/test-site/event.yaml resources[patient].colour: unknown field']);
    const more = configErrors(() =>
      compile(base, {
        override: [
          { name: 'newone', expression: '{}' },
          { name: 'ghost', patch: '$' },
          { name: 'nothing', remove: true },
        ],
      }),
    );
    expect(more).toEqual([
      'mappings/sites/test-site/event.yaml resources[newone]: not in the base mapping, so it adds a resource and needs resourceType, profile and expression (and no patch)',
      'mappings/sites/test-site/event.yaml resources[ghost]: not in the base mapping, so it adds a resource and needs resourceType, profile and expression (and no patch)',
      'mappings/sites/test-site/event.yaml resources[nothing].remove: no base resource of that name',
    ]);
  });

  it('validates the base file: unknown keys, duplicate names, forEach without key, unknown profiles', () => {
    const diags = configErrors(() =>
      compileMapping({
        mapping: {
          file: 'mappings/x/mapping.yaml',
          data: {
            recordType: 'event',
            resources: [
              {
                name: 'a',
                resourceType: 'Patient',
                profile: 'navbridge-patient',
                expression: '{}',
                extra: 1,
              },
              { name: 'a', resourceType: 'Goal', profile: 'no-such-profile', expression: '{}' },
              {
                name: 'c',
                resourceType: 'Goal',
                profile: 'navbridge-goal',
                forEach: '$record.goals',
                expression: '{}',
              },
            ],
          },
        },
        codeTables: [TABLES],
      }),
    );
    expect(diags).toEqual([
      'mappings/x/mapping.yaml resources[a].extra: unknown field',
      'mappings/x/mapping.yaml resources[a].profile: must be a profile short name from src/fhir/canonical.ts',
      'mappings/x/mapping.yaml resources[c].key: is required with forEach',
    ]);
    const dup = { name: 'a', resourceType: 'Patient', profile: 'navbridge-patient', expression: '{}' };
    expect(
      configErrors(() =>
        compileMapping({
          mapping: { file: 'mappings/x/mapping.yaml', data: { recordType: 'event', resources: [dup, dup] } },
          codeTables: [TABLES],
        }),
      ),
    ).toEqual(['mappings/x/mapping.yaml resources[a].name: must be unique in the file']);
  });
});

describe('code tables', () => {
  it('lets a site map a code to its own local code and system, keeping the other codes', async () => {
    const c = compile(base, {
      siteTables: {
        tables: {
          'need-domain': {
            codes: {
              benefits: {
                display: 'Welfare rights',
                code: 'WR-1',
                system: 'https://codes.example.org/local',
              },
            },
          },
        },
      },
    });
    const goal = (await mapRecord(c, record(), context())).entry?.[1]?.resource as { category?: unknown };
    expect(goal.category).toEqual([
      {
        coding: [{ system: 'https://codes.example.org/local', code: 'WR-1', display: 'Welfare rights' }],
        text: 'Welfare rights',
      },
    ]);
    expect(c.codeTables.get('need-domain')?.codes.get('accommodation')?.display).toBe('Accommodation');
  });

  it('rejects a table without a usable system', () => {
    const diags = configErrors(() =>
      compile(base, {
        siteTables: { tables: { local: { system: 'not a url', codes: { a: { display: 'A' } } } } },
      }),
    );
    expect(diags).toContain(
      'mappings/sites/test-site/code-tables.yaml tables.local.system: must be a navbridge CodeSystem id or an absolute URL',
    );
  });

  it('mappings check verifies codes against the loaded CodeSystems and literal table names', () => {
    const c = compile([
      ...base,
      {
        name: 'obs',
        resourceType: 'Observation',
        profile: 'navbridge-outcome-observation',
        expression: '{"c": $code("nope", "x")}',
      },
    ]);
    const url = 'https://fhir.navbridge.org.uk/CodeSystem/need-domain';
    const issues = checkMapping(c, {
      profiles: new Set(['https://fhir.navbridge.org.uk/StructureDefinition/navbridge-patient']),
      codeSystems: new Map([[url, new Set(['accommodation'])]]),
    });
    expect(issues.map((i) => i.diagnostics)).toEqual([
      "mappings/test/mapping.yaml resources[goal].profile: profile 'navbridge-goal' is not in the loaded profiles",
      "mappings/test/mapping.yaml resources[flag].profile: profile 'navbridge-flag' is not in the loaded profiles",
      "mappings/test/mapping.yaml resources[obs].profile: profile 'navbridge-outcome-observation' is not in the loaded profiles",
      "mappings/test/mapping.yaml resources[obs].expression: $code() names unknown code table 'nope'",
      `mappings/code-tables.yaml tables.need-domain.codes.benefits: code 'benefits' is not in CodeSystem ${url}`,
    ]);
  });
});
