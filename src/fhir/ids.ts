// Deterministic resource identity: UUIDv5 of (site, resource type, owning record id, sub-id).
// Never of the version, so a new version of a record updates the same resources.
import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace for navbridge resource ids (a random v4 chosen once; never change it). */
export const NAVBRIDGE_NAMESPACE = '6f1c2b7e-4a39-4d5e-9c1a-3b8f0e2d7a41';

export function resourceId(site: string, resourceType: string, ownerId: string, subId = ''): string {
  return uuidv5(JSON.stringify([site, resourceType, ownerId, subId]), NAVBRIDGE_NAMESPACE);
}

/** Bundle ids do carry the version: each version of a record is a distinct Bundle. */
export function bundleId(site: string, recordType: string, recordId: string, version: number): string {
  return uuidv5(JSON.stringify([site, 'Bundle', recordType, recordId, version]), NAVBRIDGE_NAMESPACE);
}

export const urnUuid = (id: string): string => `urn:uuid:${id}`;
