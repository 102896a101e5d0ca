// The append-only audit log (a trigger refuses UPDATE, DELETE and TRUNCATE). Detail never holds
// patient data: ids, codes and counts only.
import { type Queryable, sql } from './pg.js';

export interface AuditEntry {
  /** Who: `admin:<digest>`, `cli:<user>`, `partner:<id>`, `site:<id>`. */
  actor: string;
  /** What: view-payload, replay, discard, inbound-received, inbound-refused, remap, … */
  action: string;
  targetType: string;
  targetId: string | null;
  detail?: Record<string, unknown>;
}

export async function audit(q: Queryable, e: AuditEntry): Promise<void> {
  await sql(q).query(
    'INSERT INTO audit_log (actor, action, target_type, target_id, detail) VALUES ($1, $2, $3, $4, $5)',
    [e.actor, e.action, e.targetType, e.targetId, JSON.stringify(e.detail ?? {})],
  );
}
