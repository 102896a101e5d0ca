// The name lists `mappings check` trusts stay equal to what the engines really provide.
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { INBOUND_BINDING_NAMES, inboundBindings, readInbound } from '../../../src/intake/index.js';
import { BINDING_NAMES, createBindings } from '../../../src/mapping/bindings.js';
import { JSONATA_FUNCTIONS, nearestName } from '../../../src/mapping/names.js';
import { context } from './helpers.js';

describe('names a mapping expression may use', () => {
  it('lists only functions JSONata has', async () => {
    for (const name of JSONATA_FUNCTIONS) {
      expect(await jsonata(`$type($${name})`).evaluate({}), name).toBe('function');
    }
    expect(await jsonata('$type($lowercse)').evaluate({})).toBeUndefined();
  });

  it('lists exactly the bindings createBindings gives an outbound expression', () => {
    const b = createBindings({
      site: 's',
      recordId: 'r',
      record: {},
      context: context(),
      codeTables: new Map(),
    });
    expect(Object.keys(b).sort()).toEqual([...BINDING_NAMES].sort());
  });

  it('lists exactly the bindings an inbound expression gets', () => {
    const sr = {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: '#p' },
    };
    const { envelope } = readInbound('service-request', {
      ...sr,
      contained: [{ resourceType: 'Patient', id: 'p' }],
    });
    const m = { name: 'x', file: 'x', tables: {}, checks: [], parts: {} as never };
    const b = inboundBindings(m, {
      envelope,
      partner: { id: 'p', name: 'P', kind: 'trust', odsCodes: [] },
      now: '2026-03-02T09:00:00Z',
    });
    expect(Object.keys(b).sort()).toEqual([...INBOUND_BINDING_NAMES].sort());
  });

  it('suggests the nearest name within a few edits, and none when nothing is close', () => {
    expect(nearestName('sitee', BINDING_NAMES)).toBe('site');
    expect(nearestName('lowercse', JSONATA_FUNCTIONS)).toBe('lowercase');
    expect(nearestName('referal.yaml', ['referral.yaml', 'site.yaml'])).toBe('referral.yaml');
    expect(nearestName('bogusKey', BINDING_NAMES)).toBeUndefined();
  });
});
