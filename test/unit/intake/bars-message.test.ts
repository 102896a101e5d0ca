// The BaRS receiver checks (pure): each step's refusal with its status, code and path, and the order
// they run in (a message wrong in several ways is refused for the first step it fails).
import type { Bundle, MessageHeader, ServiceRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { isNavbridgeError, type NavbridgeError } from '../../../src/errors/index.js';
import {
  type BarsSite,
  checkBarsRequest,
  readInbound,
  SUPPORTED_DEFINITIONS,
  validateAgainstDefinition,
} from '../../../src/intake/index.js';
import { fhirFixture } from '../../support/fixtures.js';

const SITES: BarsSite[] = [
  { id: 'leeds-north', odsCode: 'NLN01', dosServiceIds: ['2000045871'], useCaseCategories: ['a4t3'] },
  { id: 'cardiff-vale', dosServiceIds: ['2000099999'], useCaseCategories: [] },
];

function check(edit: (b: Bundle, h: MessageHeader, sr: ServiceRequest) => void = () => {}) {
  const body = fhirFixture<Bundle>('bars/servicerequest-request-new.json');
  const header = body.entry![0]!.resource as MessageHeader;
  const sr = body.entry!.find((e) => e.resource?.resourceType === 'ServiceRequest')!
    .resource as ServiceRequest;
  edit(body, header, sr);
  return checkBarsRequest(readInbound('message', body).envelope, SITES);
}

function refusal(run: () => unknown): { status: number; code: string | undefined; at: string | undefined } {
  try {
    run();
  } catch (err) {
    if (!isNavbridgeError(err)) throw err;
    const e = err as NavbridgeError;
    return { status: e.status, code: e.outcome.issue[0]!.code, at: e.outcome.issue[0]!.expression?.[0] };
  }
  throw new Error('not refused');
}

describe('BaRS receiver checks', () => {
  it('accepts the fixture: its destination names leeds-north, its source endpoint is the reply address', () => {
    expect(check()).toEqual({
      site: 'leeds-north',
      replyTo: 'https://fhir.nhs.uk/Id/dos-service-id|2222222222',
      warnings: [],
    });
  });

  it('refuses each step with its status and path, version first', () => {
    const noVersion = (b: Bundle) => delete b.meta!.versionId;
    const elsewhere = (_b: Bundle, h: MessageHeader) => {
      h.destination![0]!.endpoint = 'https://fhir.nhs.uk/Id/dos-service-id|1';
    };
    expect(refusal(() => check(noVersion))).toEqual({
      status: 400,
      code: 'invariant',
      at: 'Bundle.meta.versionId',
    });
    // Wrong in two ways: the version is checked before the destination.
    expect(
      refusal(() =>
        check((b, h) => {
          noVersion(b);
          elsewhere(b, h);
        }),
      ).at,
    ).toBe('Bundle.meta.versionId');
    expect(refusal(() => check(elsewhere))).toMatchObject({
      status: 422,
      at: 'MessageHeader.destination.endpoint',
    });
    expect(refusal(() => check((_b, h) => Reflect.deleteProperty(h, 'source')))).toMatchObject({
      status: 422,
      at: 'MessageHeader.source.endpoint',
    });
    expect(
      refusal(() => check((_b, h) => (h.definition = 'https://fhir.nhs.uk/MessageDefinition/other'))),
    ).toMatchObject({ status: 422, code: 'not-supported', at: 'MessageHeader.definition' });
    const useCase = (code: string) => (_b: Bundle, _h: MessageHeader, sr: ServiceRequest) => {
      sr.category = [
        { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/usecase-categories-bars', code }] },
      ];
    };
    // The pseudo code's spelling of the system (no 's') is read too.
    expect(refusal(() => check(useCase('a1t1')))).toMatchObject({
      status: 422,
      at: 'ServiceRequest.category',
    });
    expect(check(useCase('a4t3')).site).toBe('leeds-north');
  });

  it('a definition version suffix is accepted; the cancelled definition needs far less', () => {
    const versioned = check((_b, h) => {
      h.definition = `${h.definition}|1.0.0`;
    });
    expect(versioned.site).toBe('leeds-north');
    const cancelled = SUPPORTED_DEFINITIONS.find((d) => d.id.endsWith('cancelled'))!;
    const minimal = [
      { resourceType: 'MessageHeader' },
      { resourceType: 'ServiceRequest' },
      { resourceType: 'Patient' },
    ];
    expect(validateAgainstDefinition(cancelled, minimal as never).map((i) => i.expression?.[0])).toEqual([
      'Bundle.entry.resource.ofType(Organization)',
    ]);
  });
});
