// Retention: payloads past their data class's days are deleted in batches, while each row keeps its
// ids, states, timestamps, routing metadata and attempts, and the audit log keeps everything (so the
// store does not only grow, and what happened stays provable). Every process may prune at once:
// each batch takes only rows no one else holds (SKIP LOCKED).
import { audit } from './audit.js';
import { type Db, inTransaction } from './db.js';
import { sql } from './pg.js';

export interface RetentionPolicy {
  deliveredPayloadDays: number;
  inboundBodyDays: number;
  failedRecordDays: number;
  batchRows: number;
}

/** The data classes pruned, as reported: rows whose payload was deleted. */
export interface PruneCounts {
  deliveredPayloads: number;
  inboundBodies: number;
  failedRecords: number;
}

/** Outbound exchanges that are finished: delivered, or never to be sent. Dead and open ones are kept. */
const FINISHED = ['delivered', 'superseded', 'discarded', 'withheld-no-consent', 'no-route'];

async function pruneExchanges(db: Db, where: string, params: unknown[], batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await inTransaction(db, async (tx) => {
      const { rows } = await sql(tx).query(
        `UPDATE exchanges SET payload = NULL, last_error = NULL, payload_pruned_at = now()
          WHERE id IN (SELECT id FROM exchanges WHERE payload IS NOT NULL AND ${where}
                        LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id`,
        [batch, ...params],
      );
      // What the partner answered may quote the payload: it goes with it (status and timing stay).
      await sql(tx).query(
        'UPDATE exchange_attempts SET response = NULL WHERE exchange_id = ANY($1::uuid[])',
        [rows.map((r) => r.id)],
      );
      return rows.length;
    });
    total += n;
    if (n < batch) return total;
  }
}

async function pruneFailures(db: Db, days: number, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await sql(db).query(
      `UPDATE record_failures SET input = NULL, error = NULL, input_pruned_at = now()
        WHERE id IN (SELECT id FROM record_failures
                      WHERE state = 'remapped' AND input IS NOT NULL
                        AND updated_at < now() - ($2::int * interval '1 day')
                      LIMIT $1 FOR UPDATE SKIP LOCKED)`,
      [batch, days],
    );
    const n = rowCount ?? 0;
    total += n;
    if (n < batch) return total;
  }
}

/** Deletes every payload past its class's days, in batches; one audit row says how many went. */
export async function pruneExpired(db: Db, policy: RetentionPolicy, actor: string): Promise<PruneCounts> {
  const counts: PruneCounts = {
    deliveredPayloads: await pruneExchanges(
      db,
      `direction = 'outbound' AND status = ANY($2)
         AND COALESCE(delivered_at, updated_at) < now() - ($3::int * interval '1 day')`,
      [FINISHED, policy.deliveredPayloadDays],
      policy.batchRows,
    ),
    inboundBodies: await pruneExchanges(
      db,
      `direction = 'inbound' AND created_at < now() - ($2::int * interval '1 day')`,
      [policy.inboundBodyDays],
      policy.batchRows,
    ),
    failedRecords: await pruneFailures(db, policy.failedRecordDays, policy.batchRows),
  };
  if (counts.deliveredPayloads + counts.inboundBodies + counts.failedRecords > 0)
    await audit(db, {
      actor,
      action: 'prune',
      targetType: 'database',
      targetId: null,
      detail: { ...counts },
    });
  return counts;
}
