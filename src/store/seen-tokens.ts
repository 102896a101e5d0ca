// JWT ids seen per client until their tokens expire (replay refusal shared by API processes). The id
// is stored hashed: it is not a secret, but nothing about a token needs to be kept readable.
import { createHash } from 'node:crypto';
import { type Queryable, sql } from './pg.js';

/** Expired rows are removed at most this many at a time, on roughly one call in PRUNE_EVERY. */
const PRUNE_BATCH = 1_000;
const PRUNE_EVERY = 100;
let calls = 0;

/**
 * Records that `clientId` used token id `jti` until `expiresAt`. True the first time; false when
 * the same id was seen before and its token has not expired (a replay).
 */
export async function claimTokenId(
  db: Queryable,
  clientId: string,
  jti: string,
  expiresAt: Date,
  now: Date,
): Promise<boolean> {
  const hash = createHash('sha256').update(jti, 'utf8').digest();
  if (++calls % PRUNE_EVERY === 0)
    await sql(db).query(
      `DELETE FROM seen_tokens WHERE ctid IN (SELECT ctid FROM seen_tokens WHERE expires_at < $1 LIMIT ${PRUNE_BATCH})`,
      [now],
    );
  // A row left by an expired token with the same id does not count: it is overwritten.
  const { rows } = await sql(db).query(
    `INSERT INTO seen_tokens (client_id, jti_hash, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (client_id, jti_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at
       WHERE seen_tokens.expires_at < $4
     RETURNING 1`,
    [clientId, hash, expiresAt, now],
  );
  return rows.length === 1;
}
