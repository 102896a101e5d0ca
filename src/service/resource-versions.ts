// The FHIR versionId of each copy of a resource a partner may read, counted from the record versions
// that made its exchanges — one id for a resource's Location, read, vread, history and ETag:
//  - the referral's ServiceRequest carries the referral record's version (what a create's Location
//    names, known before any copy exists); a change to it made by another record (only the
//    entered-in-error retraction) is `<referral version>.<n>`, the n-th such change since that version;
//  - every other resource (the Task, a ServiceRequest made by a support plan) counts the record
//    versions that changed it for this partner, 1, 2, 3 …
// The same record version sent twice (a replay, a resend) is the same version.
import type { CopyOrigin } from '../store/inbound.js';

const originKey = (o: CopyOrigin) => `${o.recordType}|${o.sourceId}|${o.version}`;

/** versionId by exchange seq, from every exchange naming the resource (oldest first, any status). */
export function versionIds(resourceType: string, origins: readonly CopyOrigin[]): Map<string, string> {
  const bySeq = new Map<string, string>();
  const byOrigin = new Map<string, string>();
  const fromReferral = resourceType === 'ServiceRequest' && origins.some((o) => o.recordType === 'referral');
  let referralVersion = 0;
  let since = 0;
  for (const o of origins) {
    const key = originKey(o);
    let vid = byOrigin.get(key);
    if (vid === undefined) {
      if (!fromReferral) vid = String(byOrigin.size + 1);
      else if (o.recordType === 'referral') {
        vid = String(o.version);
        if (o.version >= referralVersion) {
          referralVersion = o.version;
          since = 0;
        }
      } else vid = `${referralVersion}.${++since}`;
      byOrigin.set(key, vid);
    }
    bySeq.set(o.seq, vid);
  }
  return bySeq;
}

/** The versionId a create's Location names for the referral's ServiceRequest (the rule above). */
export function referralServiceRequestVersion(referralVersion: number, action: string | undefined): string {
  // A withdrawal changes the Task, not the ServiceRequest; a retraction re-emits the ServiceRequest
  // entered-in-error, the first change since the referral's version (a referral is retracted once).
  return action === 'retract' ? `${referralVersion}.1` : String(referralVersion);
}
