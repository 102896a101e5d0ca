// BaRS $process-message (processMessageSuite, with navbridge's own BaRS fixtures) and document
// delivery against the sandbox partner over real HTTP.
import type { Binary, Bundle, Composition, DocumentReference } from 'fhir/r4.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { navbridgeExamples } from '../../support/fhir-examples.js';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { fhir, SYS } from './helpers.js';
import { processMessageSuite } from './process-message.suite.js';

processMessageSuite(navbridgeExamples());

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('document delivery', () => {
  let server: PartnerServer;
  beforeAll(async () => {
    server = await startPartnerServer({ name: 'trust' });
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  const documentBundle = (status: 'preliminary' | 'final'): Bundle => ({
    resourceType: 'Bundle',
    identifier: { system: SYS, value: 'doc-1' },
    type: 'document',
    timestamp: '2025-03-01T10:00:00+00:00',
    entry: [
      {
        fullUrl: 'urn:uuid:5f1d7c2a-3b4e-4c5d-8e9f-0a1b2c3d4e5f',
        resource: {
          resourceType: 'Composition',
          status,
          type: { text: 'Discharge summary' },
          date: '2025-03-01T10:00:00+00:00',
          author: [{ display: 'Navigator' }],
          title: 'Summary',
        } as Composition,
      },
    ],
  });

  it('stores a document Bundle (201) once under If-None-Exist on its identifier', async () => {
    const headers = { 'if-none-exist': `identifier=${SYS}|doc-1` };
    const first = await fhir<Bundle>(server.url, '/Bundle', { body: documentBundle('final'), headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toContain(`/Bundle/${first.body.id}/_history/1`);
    const again = await fhir<Bundle>(server.url, '/Bundle', { body: documentBundle('final'), headers });
    expect(again.status).toBe(200);
    expect(server.readAll<Bundle>('Bundle')).toHaveLength(1);
    expect(server.readAll<Bundle>('Bundle')[0]?.type).toBe('document');
  });

  it('refuses a document Bundle that does not start with a Composition', async () => {
    const bad = documentBundle('final');
    bad.entry = [{ resource: { resourceType: 'Patient' } }];
    expect((await fhir(server.url, '/Bundle', { body: bad })).status).toBe(400);
    expect(server.readAll('Bundle')).toHaveLength(0);
  });

  it('accepts a DocumentReference pointing at a Binary', async () => {
    const binary = await fhir<Binary>(server.url, '/Binary', {
      body: { resourceType: 'Binary', contentType: 'text/plain', data: b64('Llŷr: discharged 🌿') },
    });
    expect(binary.status).toBe(201);
    const ref = await fhir<DocumentReference>(server.url, '/DocumentReference', {
      body: {
        resourceType: 'DocumentReference',
        status: 'current',
        identifier: [{ system: SYS, value: 'doc-2' }],
        content: [{ attachment: { contentType: 'text/plain', url: `Binary/${binary.body.id}` } }],
      },
    });
    expect(ref.status).toBe(201);
    const stored = await server.read<Binary>('Binary', binary.body.id ?? '');
    expect(Buffer.from(stored?.data ?? '', 'base64').toString('utf8')).toBe('Llŷr: discharged 🌿');
  });
});
