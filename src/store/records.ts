// Navigator records stored by version: the source of every mapping context (the referral's state,
// the previous and latest support plan, the target of an entered-in-error).
import { isDeepStrictEqual } from 'node:util';
import { advisoryLock, type Queryable, sql, type Tx, vaultOf } from './pg.js';
import { factsOf, sharingOf } from './record-facts.js';
import { type ReferralRow, type ReferralUpdate, referralUpsert, toReferralRow } from './referrals.js';

/** The sealing context of record payloads (store/sealing.ts). */
export const RECORD_PAYLOAD = 'records.payload';

export interface StoredRecord<T = unknown> {
  site: string;
  recordType: string;
  sourceId: string;
  version: number;
  referralId: string;
  personId: string | null;
  payload: T;
  mappingVersion: string | null;
  /** The resources this version's mapping produced (type, owner, sub-id). */
  resources: { resourceType: string; owner: string; subId: string }[];
  receivedAt: Date;
}

export type SaveResult = 'inserted' | 'duplicate' | 'stale';

export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
}

const toRecord = async (db: Queryable, r: Record<string, unknown>): Promise<StoredRecord> => ({
  site: r.site as string,
  recordType: r.record_type as string,
  sourceId: r.source_id as string,
  version: r.version as number,
  referralId: r.referral_id as string,
  personId: (r.person_id as string | null) ?? null,
  payload: await vaultOf(db).open(r.payload, RECORD_PAYLOAD),
  mappingVersion: (r.mapping_version as string | null) ?? null,
  resources: (r.resources as StoredRecord['resources'] | null) ?? [],
  receivedAt: r.received_at as Date,
});

/**
 * Serialises every change to one record (all its versions) inside the current transaction: a second
 * transaction on the same record waits here, then reads what the first committed.
 */
export async function lockRecord(tx: Tx, site: string, recordType: string, sourceId: string): Promise<void> {
  await advisoryLock(tx, recordLockKey(site, recordType, sourceId));
}

/** The advisory lock key of one record (all its versions); `inTransaction`'s `lockKey` takes it too. */
export const recordLockKey = (site: string, recordType: string, sourceId: string): string =>
  `rec|${site}|${recordType}|${sourceId}`;

/** The facts column's value (SQL NULL, not JSON null, when a record has none). */
function factsJson(recordType: string, payload: unknown): string | null {
  const facts = factsOf(recordType, payload);
  return facts === null ? null : JSON.stringify(facts);
}

/**
 * Saves one version. The same version resent unchanged is a `duplicate` (nothing to do); the same
 * version with different content is a conflict (a changed record must carry a higher version); a
 * version lower than the latest is `stale` (stored for the record, but it changes nothing).
 */
export async function saveRecord(
  client: Tx,
  rec: Omit<StoredRecord, 'receivedAt' | 'mappingVersion' | 'resources'> & {
    mappingVersion?: string | null;
    resources?: StoredRecord['resources'];
  },
  /**
   * The referral row's change this version makes, written in the same statement when the version is
   * `inserted` (new and the latest; never for a duplicate or a stale version): one round trip fewer.
   */
  referral?: ReferralUpdate,
): Promise<SaveResult> {
  await lockRecord(client, rec.site, rec.recordType, rec.sourceId);
  // One statement after the lock: the version as stored (if any), the latest version, and the insert
  // when this version is new. Sealing first costs one encryption on a resend, not a round trip.
  const upsert = referral
    ? referralUpsert(
        referral,
        12,
        'NOT EXISTS (SELECT 1 FROM existing) AND COALESCE((SELECT v FROM latest) < $4, true)',
      )
    : undefined;
  const { rows } = await sql(client).query(
    `WITH existing AS (
       SELECT payload FROM records WHERE site = $1 AND record_type = $2 AND source_id = $3 AND version = $4),
     latest AS (SELECT max(version) AS v FROM records WHERE site = $1 AND record_type = $2 AND source_id = $3),
     inserted AS (
       INSERT INTO records (site, record_type, source_id, version, referral_id, person_id, payload,
           mapping_version, resources, sharing, facts)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 WHERE NOT EXISTS (SELECT 1 FROM existing)
       RETURNING 1)${
         upsert
           ? `,
     referral AS (${upsert.text}
       RETURNING 1)`
           : ''
       }
     SELECT EXISTS (SELECT 1 FROM existing) AS found, (SELECT payload FROM existing) AS existing,
            (SELECT v FROM latest) AS latest`,
    [
      rec.site,
      rec.recordType,
      rec.sourceId,
      rec.version,
      rec.referralId,
      rec.personId,
      await vaultOf(client).seal(rec.payload, RECORD_PAYLOAD),
      rec.mappingVersion ?? null,
      JSON.stringify(rec.resources ?? []),
      sharingOf(rec.recordType, rec.payload),
      factsJson(rec.recordType, rec.payload),
      ...(upsert?.values ?? []),
    ],
  );
  if (rows[0]?.found) {
    // Compared as stored (JSON): the mapping engine (JSONata) may have tagged the record's arrays with
    // own properties such as `keepSingleton`, which JSON drops; they are not content.
    const stored = await vaultOf(client).open(rows[0].existing, RECORD_PAYLOAD);
    if (isDeepStrictEqual(stored, JSON.parse(JSON.stringify(rec.payload)))) return 'duplicate';
    throw new VersionConflictError(
      `${rec.recordType} ${rec.sourceId} version ${rec.version} was already received with different content`,
    );
  }
  const max = rows[0]?.latest as number | null;
  return max !== null && max > rec.version ? 'stale' : 'inserted';
}

/**
 * A referral's row and its latest referral record, in one round trip (what every record about a
 * referral is mapped with, and what an inbound referral updates). Either may be missing.
 */
export async function getReferralAndRecord(
  db: Queryable,
  site: string,
  referralId: string,
): Promise<{ row: ReferralRow | undefined; record: StoredRecord | undefined }> {
  const { rows } = await sql(db).query(
    `SELECT r.*, rec.record_type AS nb_record_type, rec.source_id AS nb_source_id, rec.version AS nb_version,
            rec.referral_id AS nb_referral_id, rec.person_id AS nb_person_id, rec.payload AS nb_payload,
            rec.mapping_version AS nb_mapping_version, rec.resources AS nb_resources,
            rec.received_at AS nb_received_at
       FROM (SELECT 1) AS one
       LEFT JOIN referrals r ON r.site = $1 AND r.referral_id = $2
       LEFT JOIN LATERAL (
         SELECT * FROM records WHERE site = $1 AND record_type = 'referral' AND source_id = $2
          ORDER BY version DESC LIMIT 1) rec ON true`,
    [site, referralId],
  );
  const r = rows[0]!;
  const record =
    r.nb_version === null
      ? undefined
      : await toRecord(db, {
          site,
          record_type: r.nb_record_type,
          source_id: r.nb_source_id,
          version: r.nb_version,
          referral_id: r.nb_referral_id,
          person_id: r.nb_person_id,
          payload: r.nb_payload,
          mapping_version: r.nb_mapping_version,
          resources: r.nb_resources,
          received_at: r.nb_received_at,
        });
  return { row: r.referral_id === null ? undefined : toReferralRow(r), record };
}

export async function getRecord(
  db: Queryable,
  site: string,
  recordType: string,
  sourceId: string,
  version?: number,
): Promise<StoredRecord | undefined> {
  const { rows } = await sql(db).query(
    `SELECT * FROM records WHERE site = $1 AND record_type = $2 AND source_id = $3
        AND ($4::int IS NULL OR version = $4) ORDER BY version DESC LIMIT 1`,
    [site, recordType, sourceId, version ?? null],
  );
  return rows[0] ? toRecord(db, rows[0]) : undefined;
}

/** The latest version strictly below `version` (the previous plan, for cancelled goals). */
export async function getPreviousVersion(
  db: Queryable,
  site: string,
  recordType: string,
  sourceId: string,
  version: number,
): Promise<StoredRecord | undefined> {
  const { rows } = await sql(db).query(
    `SELECT * FROM records WHERE site = $1 AND record_type = $2 AND source_id = $3 AND version < $4
      ORDER BY version DESC LIMIT 1`,
    [site, recordType, sourceId, version],
  );
  return rows[0] ? toRecord(db, rows[0]) : undefined;
}

/** The latest version of the newest record of a type for a referral (e.g. its current support plan). */
export async function getLatestForReferral(
  db: Queryable,
  site: string,
  referralId: string,
  recordType: string,
): Promise<StoredRecord | undefined> {
  const { rows } = await sql(db).query(
    `SELECT * FROM records WHERE site = $1 AND referral_id = $2 AND record_type = $3
      ORDER BY received_at DESC, version DESC LIMIT 1`,
    [site, referralId, recordType],
  );
  return rows[0] ? toRecord(db, rows[0]) : undefined;
}

/**
 * The referral's events as they stand: the latest version of each event record, without those an
 * entered-in-error event retracted (the retractions themselves are kept).
 */
export async function currentEvents(
  db: Queryable,
  site: string,
  referralId: string,
): Promise<Record<string, unknown>[]> {
  const { rows } = await sql(db).query(
    `SELECT DISTINCT ON (source_id) source_id, payload FROM records
      WHERE site = $1 AND referral_id = $2 AND record_type = 'event'
      ORDER BY source_id, version DESC`,
    [site, referralId],
  );
  const vault = vaultOf(db);
  const events: { id: string; payload: Record<string, unknown> }[] = [];
  for (const r of rows)
    events.push({ id: r.source_id as string, payload: await vault.open(r.payload, RECORD_PAYLOAD) });
  const retracted = new Set(
    events
      .filter((e) => e.payload.type === 'entered-in-error' && e.payload.recordType === 'event')
      .map((e) => String(e.payload.recordId)),
  );
  return events.filter((e) => !retracted.has(e.id)).map((e) => e.payload);
}

/** The latest referral version's agreement to share (absent when it gives none). */
export async function currentSharing(
  db: Queryable,
  site: string,
  referralId: string,
): Promise<Record<string, boolean> | undefined> {
  const { rows } = await sql(db).query(
    `SELECT sharing FROM records
      WHERE site = $1 AND record_type = 'referral' AND source_id = $2 ORDER BY version DESC LIMIT 1`,
    [site, referralId],
  );
  return (rows[0]?.sharing as Record<string, boolean> | null) ?? undefined;
}
