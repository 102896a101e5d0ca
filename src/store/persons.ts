// Person keys: an internal person UUID for everyone (with or without an NHS number). Matching uses a
// keyed HMAC of verified national identifiers, never a plain hash: an NHS number's 10 digits are too
// few for an unkeyed hash to hide them.
import { createHmac, randomUUID } from 'node:crypto';
import { advisoryLock, sql, type Tx } from './pg.js';

export interface PersonIdentifier {
  system: string;
  value: string;
  /** Only verified identifiers (e.g. PDS-traced NHS numbers, or ones passing their check) match people. */
  verified: boolean;
}

export function personKey(secret: string, id: Pick<PersonIdentifier, 'system' | 'value'>): string {
  return createHmac('sha256', secret)
    .update(`${id.system}|${id.value.replace(/\s+/g, '')}`)
    .digest('hex');
}

/**
 * Finds the person matching any verified identifier, or creates one; records every verified
 * identifier's key for that person. Call inside a transaction.
 */
export async function resolvePerson(
  client: Tx,
  secret: string,
  identifiers: readonly PersonIdentifier[],
): Promise<string> {
  if (secret.length < 16) throw new Error('the person-key secret must be at least 16 characters');
  const keys = identifiers.filter((i) => i.verified).map((i) => personKey(secret, i));
  for (const key of keys) {
    // Serialise concurrent intake of the same person.
    await advisoryLock(client, `person|${key}`);
  }
  // One statement after the locks: the oldest person any key names, else a new one; every key then
  // names that person (a key already naming someone stays theirs). The keys' rows reference a person
  // inserted by the same statement: the foreign key is checked at the statement's end.
  const { rows } = await sql(client).query<{ id: string }>(
    `WITH found AS (
       SELECT k.person_id FROM person_keys k JOIN persons p ON p.id = k.person_id
        WHERE k.key = ANY($1) ORDER BY p.created_at, p.id LIMIT 1),
     created AS (
       INSERT INTO persons (id) SELECT $2 WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id),
     chosen AS (SELECT person_id AS id FROM found UNION ALL SELECT id FROM created),
     keyed AS (
       INSERT INTO person_keys (key, person_id)
       SELECT DISTINCT k, (SELECT id FROM chosen) FROM unnest($1::text[]) AS k
       ON CONFLICT (key) DO NOTHING)
     SELECT id FROM chosen`,
    [keys, randomUUID()],
  );
  const personId = rows[0]?.id;
  if (!personId) throw new Error('resolvePerson: no person chosen');
  return personId;
}
