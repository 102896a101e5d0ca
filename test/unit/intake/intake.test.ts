// Inverse mapping goldens (mappings/inbound/<name>/examples) and the tolerant reader's rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase64Json } from '../../../src/api/fhir/headers.js';
import { findInboundGoldens, loadInboundMapping } from '../../../src/config/inbound-mappings.js';
import {
  compileInverseMapping,
  inboundReferralId,
  kindOf,
  mapInbound,
  normaliseInbound,
  readEnvelope,
  readInbound,
} from '../../../src/intake/index.js';
import { navbridgeExamples } from '../../support/fhir-examples.js';
import { fhirFixture } from '../../support/fixtures.js';
import { envelopeExamplesSuite } from './envelope.suite.js';

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
const GOLDEN_NOW = '2026-03-02T09:00:00Z';
const DEFAULT_PARTNER = { id: 'example-trust', name: 'Example Trust', kind: 'trust', odsCodes: [] };

describe('inbound goldens', () => {
  const mapping = loadInboundMapping('mappings', 'fhir-referral');
  const goldens = findInboundGoldens('mappings', 'fhir-referral');
  it('has the real BaRS and Gravity examples', () => {
    expect(goldens.map((g) => g.name)).toEqual(
      expect.arrayContaining(['bars-validation-request', 'bars-older-code-systems', 'gravity-transaction']),
    );
  });
  for (const g of goldens) {
    it(`maps ${g.name}`, async () => {
      const body = json(g.input);
      const ctx = g.context ? json(g.context) : {};
      const out = await mapInbound(
        mapping,
        readInbound(kindOf(body), body),
        ctx.partner ?? DEFAULT_PARTNER,
        ctx.now ?? GOLDEN_NOW,
      );
      expect(JSON.parse(JSON.stringify(out))).toEqual(json(g.expected));
    });
  }
});

describe('tolerant reader', () => {
  it('canonicalises http/https, letter case, Codesystem, retired systems and dateTimes without seconds', () => {
    const { value, notes } = normaliseInbound({
      identifier: [
        { system: 'http://fhir.nhs.uk/Id/dos-service-id', value: '1' },
        { system: 'https://fhir.nhs.uk/id/ods-organization-code', value: 'RND' },
      ],
      details: { coding: [{ system: 'https://fhir.nhs.uk/Codesystem/http-error-codes', code: 'X' }] },
      policyRule: { coding: [{ system: 'http://hl7.org/fhir/v3/ActCode', code: 'IMPLIED' }] },
      authoredOn: '2026-03-01T10:15+01:00',
      timestamp: '2026-03-01T10:15:00+0100',
      endpoint: 'http://fhir.nhs.uk/Id/dos-service-id|111',
    });
    expect(value).toEqual({
      identifier: [
        { system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '1' },
        { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RND' },
      ],
      details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/http-error-codes', code: 'X' }] },
      policyRule: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMPLIED' }],
      },
      authoredOn: '2026-03-01T10:15:00+01:00',
      timestamp: '2026-03-01T10:15:00+01:00',
      endpoint: 'https://fhir.nhs.uk/Id/dos-service-id|111',
    });
    // Paths only, never values.
    expect(notes.map((n) => n.expression?.[0])).toContain('identifier.system');
    expect(JSON.stringify(notes)).not.toContain('RND');
  });

  it('leaves canonical input unchanged with no notes', () => {
    const input = { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' };
    expect(normaliseInbound(input)).toEqual({ value: input, notes: [] });
  });
});

describe('envelope', () => {
  envelopeExamplesSuite(navbridgeExamples());

  it('resolves contained, urn:uuid, Type/id and absolute references', () => {
    const env = readEnvelope('transaction', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111',
          resource: {
            resourceType: 'ServiceRequest',
            status: 'active',
            intent: 'order',
            subject: { reference: 'Patient/p1' },
            contained: [{ resourceType: 'Organization', id: 'o' }],
          },
        },
        { fullUrl: 'https://x.example/fhir/Patient/p1', resource: { resourceType: 'Patient' } },
      ],
    });
    expect(env.resolve({ reference: 'Patient/p1' })?.resourceType).toBe('Patient');
    expect(env.resolve('https://other.example/fhir/Patient/p1')?.resourceType).toBe('Patient');
    expect(env.resolve('#o')?.resourceType).toBe('Organization');
    expect(env.resolve('urn:uuid:11111111-1111-4111-8111-111111111111')?.resourceType).toBe('ServiceRequest');
    expect(env.resolve('Patient/nope')).toBeUndefined();
  });

  it('needs exactly one ServiceRequest', () => {
    const sr = { resourceType: 'ServiceRequest', status: 'active', intent: 'order' };
    expect(() =>
      readEnvelope('transaction', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: sr }, { resource: sr }],
      }),
    ).toThrow(/exactly one/);
  });
});

describe('inverse mapping', () => {
  it('the same partner and identity give the same referral id; another partner another', () => {
    const id = { system: 's', value: 'v' };
    expect(inboundReferralId('a', id)).toBe(inboundReferralId('a', id));
    expect(inboundReferralId('a', id)).not.toBe(inboundReferralId('b', id));
  });

  it('reports unknown fields and JSONata syntax errors naming the file and part', () => {
    const file = 'mappings/inbound/x/mapping.yaml';
    const base = {
      direction: 'inbound',
      recordType: 'referral',
      description: 'd',
      identity: '1',
      action: '"new"',
      performer: '[]',
      record: '{}',
    };
    expect(() => compileInverseMapping('x', { file, data: { ...base, extra: 1 } })).toThrow(/unknown field/);
    expect(() => compileInverseMapping('x', { file, data: { ...base, record: '{' } })).toThrow(
      /mappings\/inbound\/x\/mapping.yaml record/,
    );
  });

  it('BaRS new, update and delete messages about one referral: one identity; new, update, withdraw', async () => {
    const mapping = loadInboundMapping('mappings', 'fhir-referral');
    const map = (reason: string) => {
      const body = fhirFixture(`bars/servicerequest-request-${reason}.json`);
      return mapInbound(mapping, readInbound('message', body), DEFAULT_PARTNER, GOLDEN_NOW);
    };
    const [created, updated, deleted] = [await map('new'), await map('update'), await map('delete')];
    expect([created.action, updated.action, deleted.action]).toEqual(['new', 'update', 'withdraw']);
    expect(updated.identity).toEqual(created.identity);
    expect(deleted.identity).toEqual(created.identity);
    expect(new Set([created.referralId, updated.referralId, deleted.referralId]).size).toBe(1);
    // The update carries the person's new mobile number.
    expect(created.record.person).toMatchObject({ phone: '07700 900418' });
    expect(updated.record.person).toMatchObject({ phone: '07700 900561' });
  });

  it('a patient without a birth date is a 422 naming Patient.birthDate', async () => {
    const mapping = loadInboundMapping('mappings', 'fhir-referral');
    const body = {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: '#p' },
      contained: [{ resourceType: 'Patient', id: 'p', name: [{ family: 'X' }] }],
    };
    await expect(
      mapInbound(mapping, readInbound('service-request', body), DEFAULT_PARTNER, GOLDEN_NOW),
    ).rejects.toMatchObject({
      code: 'REC_UNPROCESSABLE_ENTITY',
      outcome: { issue: [expect.objectContaining({ expression: ['Patient.birthDate'] })] },
    });
  });
});

describe('NHSD headers', () => {
  it('decode standard and URL-safe Base64 JSON, refuse other text', () => {
    const v = { value: '111111111', system: 'https://fhir.nhs.uk/Id/dos-service-id' };
    const s = JSON.stringify(v);
    expect(decodeBase64Json(Buffer.from(s).toString('base64'))).toEqual(v);
    expect(decodeBase64Json(Buffer.from(s).toString('base64url'))).toEqual(v);
    expect(() => decodeBase64Json('%%%')).toThrow();
    expect(() => decodeBase64Json(Buffer.from('not json').toString('base64'))).toThrow();
  });
});
