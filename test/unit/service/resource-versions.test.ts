// FHIR versionIds counted from the record versions that made a resource's exchanges: the referral's
// version for its ServiceRequest (what a create's Location names), a count for everything else.
import { describe, expect, it } from 'vitest';
import { referralServiceRequestVersion, versionIds } from '../../../src/service/resource-versions.js';
import type { CopyOrigin } from '../../../src/store/inbound.js';

let seq = 0;
const o = (recordType: string, sourceId: string, version: number): CopyOrigin => ({
  seq: String(++seq),
  recordType,
  sourceId,
  version,
});
const ids = (type: string, origins: CopyOrigin[]) => origins.map((x) => versionIds(type, origins).get(x.seq));

describe('versionIds', () => {
  it('gives the referral ServiceRequest the referral version; a replay of a version keeps it', () => {
    expect(
      ids('ServiceRequest', [o('referral', 'R', 1), o('referral', 'R', 2), o('referral', 'R', 2)]),
    ).toEqual(['1', '2', '2']);
  });

  it('numbers a change by another record after the referral version it follows (a retraction)', () => {
    expect(
      ids('ServiceRequest', [o('referral', 'R', 1), o('referral', 'R', 3), o('event', 'R-retracted', 1)]),
    ).toEqual(['1', '3', '3.1']);
    expect(referralServiceRequestVersion(3, 'retract')).toBe('3.1');
    expect(referralServiceRequestVersion(3, 'withdraw')).toBe('3');
    expect(referralServiceRequestVersion(4, 'update')).toBe('4');
  });

  it('counts the record versions that changed any other resource, 1, 2, 3', () => {
    expect(
      ids('Task', [
        o('referral', 'R', 1),
        o('event', 'E1', 1),
        o('event', 'E1', 1),
        o('referral', 'R', 2),
        o('event', 'E2', 1),
      ]),
    ).toEqual(['1', '2', '2', '3', '4']);
    // A ServiceRequest no referral made (a support plan's onward referral) is counted too.
    expect(ids('ServiceRequest', [o('support-plan', 'P', 1), o('support-plan', 'P', 2)])).toEqual(['1', '2']);
  });
});
