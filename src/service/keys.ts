// Master key rotation (`navbridge keys rotate`) and the key inventory (`navbridge keys status`), for
// the admin. Rotation runs online beside the service: batch by batch, each column until no row is left
// in plaintext or under a key other than the active one; then it fills `records.facts` of rows sealed
// before that column existed (the report's plain metadata). Audited (who rotated, how many rows), no data.
import { audit } from '../store/audit.js';
import {
  columnName,
  fillFactsBatch,
  missingFacts,
  pendingRotation,
  rotateBatch,
  SEALED_COLUMNS,
  sealedCounts,
  UNKNOWN_KEY_LABEL,
} from '../store/rotation.js';
import { authorize } from './authorize.js';
import { actorOf, type Caller, type ServiceDeps } from './types.js';

/** Rows resealed per transaction: small enough that no row stays locked long, large enough to progress. */
export const ROTATE_BATCH_ROWS = 200;

export interface RotationReport {
  /** Rows resealed with the active key, by column (`table.column`). */
  resealed: Record<string, number>;
  /** Rows still to do (held by other transactions meanwhile): run again. */
  remaining: Record<string, number>;
  /** Records whose plain facts were filled (sealed before records.facts existed), and those left. */
  facts: { filled: number; remaining: number };
}

/** Fills the facts of every record that has none, batch by batch. */
async function fillFacts(
  deps: Pick<ServiceDeps, 'db'>,
  batch: number,
  onBatch?: (column: string, rows: number) => void,
): Promise<RotationReport['facts']> {
  let filled = 0;
  for (;;) {
    const n = await fillFactsBatch(deps.db, batch);
    if (n === 0) break;
    filled += n;
    onBatch?.('records.facts', n);
  }
  return { filled, remaining: await missingFacts(deps.db) };
}

export async function rotateKeys(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  opts: { batchRows?: number; onBatch?: (column: string, rows: number) => void } = {},
): Promise<RotationReport> {
  await authorize(deps, caller, { action: 'administer' });
  const batch = opts.batchRows ?? ROTATE_BATCH_ROWS;
  const resealed: Record<string, number> = {};
  const remaining: Record<string, number> = {};
  for (const c of SEALED_COLUMNS) {
    const name = columnName(c);
    resealed[name] = 0;
    for (;;) {
      const n = await rotateBatch(deps.db, c, batch);
      if (n === 0) break;
      resealed[name] += n;
      opts.onBatch?.(name, n);
    }
    remaining[name] = await pendingRotation(deps.db, c);
  }
  const facts = await fillFacts(deps, batch, opts.onBatch);
  await audit(deps.db, {
    actor: actorOf(caller),
    action: 'keys-rotate',
    targetType: 'database',
    targetId: null,
    detail: { resealed, remaining, facts },
  });
  return { resealed, remaining, facts };
}

/**
 * How each sealed column's rows are held: counts by master key id, `plaintext` for rows not yet sealed,
 * `<id> (not configured)` for rows under a key this process does not have.
 */
export async function keyStatus(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
): Promise<Record<string, Record<string, number>>> {
  await authorize(deps, caller, { action: 'administer' });
  const out: Record<string, Record<string, number>> = {};
  for (const c of SEALED_COLUMNS) out[columnName(c)] = await sealedCounts(deps.db, c);
  return out;
}

/** The rows of a key status under keys not configured here, by key id (what `keys status` warns of). */
export function unknownKeyRows(status: Record<string, Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of Object.values(status))
    for (const [label, n] of Object.entries(counts))
      if (label.endsWith(UNKNOWN_KEY_LABEL)) {
        const kid = label.slice(0, -UNKNOWN_KEY_LABEL.length);
        out[kid] = (out[kid] ?? 0) + n;
      }
  return out;
}
