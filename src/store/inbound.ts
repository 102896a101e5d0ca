// Inbound intake storage: X-Request-Id claims per partner (a repeat is refused, stored once), the
// inbound exchange row, links between referrals of one person, and partner-scoped reads of the
// resources navbridge produced for a referral (from the exchanges that carried them).
import { randomUUID } from 'node:crypto';
import type { Bundle, Resource } from 'fhir/r4.js';
import { aliasesOf, EXCHANGE_PAYLOAD } from './exchanges.js';
import { type Queryable, sql, type Tx, vaultOf } from './pg.js';

/** The advisory lock a request id holds while its request is processed (tests hold it to simulate that). */
export const requestLockKey = (partnerId: string, requestId: string): string =>
  `inbound-request|${partnerId}|${requestId}`;

export type RequestClaim = 'claimed' | 'taken' | 'in-progress';

/**
 * Claims a request id for a partner inside the intake transaction. 'taken': the partner already used
 * it (BaRS 409). 'in-progress': a request with this id is being processed right now, in another
 * transaction that holds its lock (BaRS 425 REC_TOO_EARLY: the sender retries later, and then gets
 * 409 if that one committed or is processed if it rolled back). Without the lock the second INSERT
 * would wait on the first transaction's uncommitted row.
 */
export async function claimRequestId(
  db: Tx,
  partnerId: string,
  requestId: string,
  correlationId: string | undefined,
  replyTo?: string,
): Promise<RequestClaim> {
  // One statement: the lock tried first (the INSERT's SELECT reads it, so it is evaluated before any
  // row is inserted), then the claim only while it is held. A request id already claimed and
  // committed is a conflict the INSERT sees whatever its snapshot.
  const { rows } = await sql(db).query<{ locked: boolean; claimed: boolean }>(
    `WITH l AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked),
     claim AS (
       INSERT INTO inbound_requests (partner_id, request_id, correlation_id, reply_to)
       SELECT $2, $3, $4, $5 FROM l WHERE l.locked
       ON CONFLICT (partner_id, request_id) DO NOTHING
       RETURNING 1)
     SELECT l.locked, EXISTS (SELECT 1 FROM claim) AS claimed FROM l`,
    [requestLockKey(partnerId, requestId), partnerId, requestId, correlationId ?? null, replyTo ?? null],
  );
  if (!rows[0]?.locked) return 'in-progress';
  return rows[0].claimed ? 'claimed' : 'taken';
}

/** Keeps a BaRS sender's reply address (MessageHeader.source.endpoint) with the referral. */
export async function keepReplyAddress(
  db: Tx,
  site: string,
  referralId: string,
  replyTo: string,
): Promise<void> {
  await sql(db).query('UPDATE referrals SET reply_to = $3 WHERE site = $1 AND referral_id = $2', [
    site,
    referralId,
    replyTo,
  ]);
}

/** Whether the partner already used this request id (a request answered 409 whatever its body). */
export async function requestIdTaken(db: Queryable, partnerId: string, requestId: string): Promise<boolean> {
  const { rows } = await sql(db).query(
    'SELECT 1 FROM inbound_requests WHERE partner_id = $1 AND request_id = $2',
    [partnerId, requestId],
  );
  return rows.length > 0;
}

export interface InboundExchange {
  partnerId: string;
  site: string;
  recordType: string;
  sourceId: string;
  version: number;
  referralId: string;
  requestId?: string;
  correlationId?: string;
  /** The request as received (canonical form). */
  payload: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stores the inbound request as an exchange (direction inbound, status received); returns its id. */
export async function insertInboundExchange(db: Tx, x: InboundExchange): Promise<string> {
  const id = randomUUID();
  // One statement: the person from the referral's row, the exchange, and its request id's claim
  // pointed at it (the claim's foreign key to the exchange is checked at the statement's end).
  await sql(db).query(
    `WITH x AS (
       INSERT INTO exchanges (id, direction, partner_id, site, record_type, source_id, version, referral_id,
           person_id, payload, status, correlation_id, request_id)
       SELECT $1, 'inbound', $2, $3, $4, $5, $6, $7,
              (SELECT person_id FROM referrals WHERE site = $3 AND referral_id = $7), $8, 'received', $9, $10
       RETURNING id)
     UPDATE inbound_requests SET exchange_id = (SELECT id FROM x), site = $3, referral_id = $7
      WHERE $11::text IS NOT NULL AND partner_id = $2 AND request_id = $11`,
    [
      id,
      x.partnerId,
      x.site,
      x.recordType,
      x.sourceId,
      x.version,
      x.referralId,
      await vaultOf(db).seal(x.payload, EXCHANGE_PAYLOAD),
      x.correlationId && UUID.test(x.correlationId) ? x.correlationId : randomUUID(),
      x.requestId && UUID.test(x.requestId) ? x.requestId : null,
      x.requestId ?? null,
    ],
  );
  return id;
}

/**
 * Links a new referral to the person's other open referrals at the site (status new or open), so the
 * navigator sees them together. Returns the linked referral ids.
 */
export async function linkOpenReferrals(db: Tx, site: string, referralId: string): Promise<string[]> {
  const { rows } = await sql(db).query(
    `SELECT o.referral_id FROM referrals r JOIN referrals o
        ON o.site = r.site AND o.person_id = r.person_id AND o.referral_id <> r.referral_id
      WHERE r.site = $1 AND r.referral_id = $2 AND r.person_id IS NOT NULL AND o.status IN ('new', 'open')
      ORDER BY o.received_at`,
    [site, referralId],
  );
  const ids = rows.map((r) => r.referral_id as string);
  for (const other of ids) {
    await sql(db).query(
      `INSERT INTO referral_links (site, referral_id, linked_referral_id, reason)
       VALUES ($1, $2, $3, 'open-referral-same-person') ON CONFLICT DO NOTHING`,
      [site, referralId, other],
    );
  }
  return ids;
}

/** Whether one of our outbound exchanges to this partner carried a message with this id (BaRS response). */
export async function isOurMessage(db: Queryable, partnerId: string, messageId: string): Promise<boolean> {
  const { rows } = await sql(db).query(
    `SELECT 1 FROM exchanges WHERE direction = 'outbound' AND partner_id = $1 AND message_ids @> ARRAY[$2::text]
      LIMIT 1`,
    [partnerId, messageId],
  );
  return rows.length > 0;
}

/** A copy of a resource in an exchange to a partner, with what that exchange was allowed to carry. */
export interface CarriedResource {
  exchangeId: string;
  status: string;
  categories: string[];
  roles: string[];
  site: string;
  referralId: string;
  resource: Resource;
  /** The copy's place in the message store (grows with every newer copy). */
  seq: string;
  storedAt: Date;
}

/** Which record version made an outbound exchange: what a copy's FHIR versionId is counted from. */
export interface CopyOrigin {
  seq: string;
  recordType: string;
  sourceId: string;
  version: number;
}

/** Exchanges that never reached, and never will reach, their partner: nothing in them is the partner's. */
const NEVER_SENT = ['withheld-no-consent', 'no-route', 'superseded', 'discarded'];

/**
 * The copies of a resource in exchanges addressed to this partner, newest first (any delivery form
 * whose entries hold resources). Whether the partner may read one is the service's decision.
 */
export async function carriedResources(
  db: Queryable,
  partnerId: string,
  resourceType: string,
  id: string,
  limit = 20,
): Promise<CarriedResource[]> {
  // The payloads are sealed: the plain resource_keys column finds the exchanges, the payloads are then
  // opened here and the resource taken from each.
  const { rows } = await sql(db).query(
    `SELECT e.id, e.seq, e.created_at, e.status, e.categories, e.roles, e.site, e.referral_id, e.payload
       FROM exchanges e
      WHERE e.direction = 'outbound' AND e.partner_id = $1 AND e.resource_keys @> ARRAY[$2::text]
        AND NOT (e.status = ANY($3)) AND e.payload IS NOT NULL
      ORDER BY e.seq DESC LIMIT $4`,
    [partnerId, `${resourceType}/${id}`, NEVER_SENT, limit],
  );
  const vault = vaultOf(db);
  const out: CarriedResource[] = [];
  for (const r of rows) {
    const payload = await vault.open<Bundle | null>(r.payload, EXCHANGE_PAYLOAD);
    for (const e of payload?.entry ?? []) {
      if (e.resource?.resourceType !== resourceType) continue;
      const alias = aliasesOf(e).includes(`${resourceType}/${id}`);
      if (e.resource.id !== id && !alias) continue;
      out.push({
        exchangeId: r.id,
        status: r.status,
        categories: r.categories ?? [],
        roles: r.roles ?? [],
        site: r.site,
        referralId: r.referral_id,
        // Read by navbridge's id: answered under it (FHIR read), whatever id the message gave it.
        resource: alias ? { ...e.resource, id } : e.resource,
        seq: String(r.seq),
        storedAt: r.created_at,
      });
    }
  }
  return out;
}

/**
 * Every outbound exchange to this partner that names the resource, oldest first, whatever its status
 * and whether its payload is still kept (retention): version ids counted from them never shift when a
 * copy is later superseded or pruned.
 */
export async function copyOrigins(
  db: Queryable,
  partnerId: string,
  resourceType: string,
  id: string,
): Promise<CopyOrigin[]> {
  const { rows } = await sql(db).query(
    `SELECT seq, record_type, source_id, version FROM exchanges
      WHERE direction = 'outbound' AND partner_id = $1 AND resource_keys @> ARRAY[$2::text]
      ORDER BY seq`,
    [partnerId, `${resourceType}/${id}`],
  );
  return rows.map((r) => ({
    seq: String(r.seq),
    recordType: r.record_type as string,
    sourceId: r.source_id as string,
    version: Number(r.version),
  }));
}

/**
 * The referrals a partner sent in for the person a verified identifier's key names (newest first):
 * the keyed HMAC finds the person (src/store/persons.ts), the partner column keeps the search to its own.
 */
export async function partnerReferralsOfPerson(
  db: Queryable,
  partnerId: string,
  personKey: string,
  limit = 50,
): Promise<{ site: string; referralId: string }[]> {
  const { rows } = await sql(db).query(
    `SELECT r.site, r.referral_id FROM person_keys k JOIN referrals r ON r.person_id = k.person_id
      WHERE k.key = $1 AND r.source_partner_id = $2 ORDER BY r.received_at DESC LIMIT $3`,
    [personKey, partnerId, limit],
  );
  return rows.map((r) => ({ site: r.site as string, referralId: r.referral_id as string }));
}
