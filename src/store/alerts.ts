// The watchdog's view of the store: the conditions it watches for (undelivered exchanges, dead letters,
// open circuits, unanswered messages, inactive referrals), and the alerts table — raised once per
// condition, cleared when it no longer holds, all under one advisory lock so one runner at a time.
import { randomUUID } from 'node:crypto';
import { type Db, inTransaction } from './db.js';
import { type Queryable, sql } from './pg.js';

/** A condition that holds now. `key` names what it is about; (kind, key) is the alert's identity. */
export interface AlertCondition {
  kind: string;
  key: string;
  site?: string | null;
  partnerId?: string | null;
  referralId?: string | null;
  exchangeId?: string | null;
  /** Instants, ages and thresholds only: never patient data. */
  detail: Record<string, string | number | boolean | null>;
}

export interface AlertView {
  id: string;
  kind: string;
  key: string;
  state: 'open' | 'cleared';
  site: string | null;
  partnerId: string | null;
  referralId: string | null;
  exchangeId: string | null;
  detail: Record<string, unknown>;
  raisedAt: Date;
  clearedAt: Date | null;
}

export interface AlertTransition {
  alertId: string;
  event: 'raised' | 'cleared';
}

const view = (r: Record<string, unknown>): AlertView => ({
  id: r.id as string,
  kind: r.kind as string,
  key: r.key as string,
  state: r.cleared_at ? 'cleared' : 'open',
  site: (r.site as string | null) ?? null,
  partnerId: (r.partner_id as string | null) ?? null,
  referralId: (r.referral_id as string | null) ?? null,
  exchangeId: (r.exchange_id as string | null) ?? null,
  detail: (r.detail as Record<string, unknown>) ?? {},
  raisedAt: r.raised_at as Date,
  clearedAt: (r.cleared_at as Date | null) ?? null,
});

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

/** Outbound exchanges still on their way (not dead) longer than their partner's threshold. */
export async function undeliveredExchanges(
  db: Queryable,
  now: Date,
  defaultMinutes: number,
  perPartner: Readonly<Record<string, number>>,
): Promise<AlertCondition[]> {
  const { rows } = await sql(db).query(
    `SELECT id, partner_id, site, referral_id, status, created_at,
            coalesce(($3::jsonb->>partner_id)::int, $2::int) AS minutes
       FROM exchanges
      WHERE direction = 'outbound' AND status IN ('pending', 'in-flight', 'failed', 'blocked')
        AND created_at < $1::timestamptz - make_interval(mins => coalesce(($3::jsonb->>partner_id)::int, $2::int))
      ORDER BY seq LIMIT 10000`,
    [now, defaultMinutes, JSON.stringify(perPartner)],
  );
  return rows.map((r) => ({
    kind: 'exchange-undelivered',
    key: r.id,
    site: r.site,
    partnerId: r.partner_id,
    referralId: r.referral_id,
    exchangeId: r.id,
    detail: { status: r.status, createdAt: iso(r.created_at), thresholdMinutes: r.minutes },
  }));
}

/** Every dead letter: a new one raises an alert; replayed or discarded, it clears. */
export async function deadLetterConditions(db: Queryable): Promise<AlertCondition[]> {
  const { rows } = await sql(db).query(
    `SELECT x.id, x.partner_id, x.site, x.referral_id, x.updated_at,
            (SELECT a.error_class FROM exchange_attempts a WHERE a.exchange_id = x.id
              ORDER BY a.attempt_no DESC LIMIT 1) AS error_class
       FROM exchanges x WHERE x.status = 'dead' ORDER BY x.seq LIMIT 10000`,
  );
  return rows.map((r) => ({
    kind: 'dead-letter',
    key: r.id,
    site: r.site,
    partnerId: r.partner_id,
    referralId: r.referral_id,
    exchangeId: r.id,
    detail: { deadSince: iso(r.updated_at), errorClass: r.error_class ?? null },
  }));
}

export async function openCircuitConditions(
  db: Queryable,
  now: Date,
  minutes: number,
): Promise<AlertCondition[]> {
  const { rows } = await sql(db).query(
    `SELECT partner_id, state, opened_at FROM partner_circuits
      WHERE state <> 'closed' AND opened_at < $1::timestamptz - make_interval(mins => $2::int)
      ORDER BY partner_id`,
    [now, minutes],
  );
  return rows.map((r) => ({
    kind: 'circuit-open',
    key: r.partner_id,
    partnerId: r.partner_id,
    detail: { state: r.state, openedAt: iso(r.opened_at), thresholdMinutes: minutes },
  }));
}

/**
 * Messages delivered (BaRS `message` mode) whose response has not come: no inbound response naming the
 * message (audited as `inbound-received` on target `message`: one of the exchange's plain
 * `message_ids`) within `minutes`. Looks back 30 days.
 */
export async function unacknowledgedMessages(
  db: Queryable,
  now: Date,
  minutes: number,
): Promise<AlertCondition[]> {
  const { rows } = await sql(db).query(
    `SELECT x.id, x.partner_id, x.site, x.referral_id, x.delivered_at
       FROM exchanges x
      WHERE x.direction = 'outbound' AND x.delivery_mode = 'message' AND x.status = 'delivered'
        AND x.delivered_at < $1::timestamptz - make_interval(mins => $2::int)
        AND x.delivered_at > $1::timestamptz - interval '30 days'
        AND NOT EXISTS (
          SELECT 1 FROM audit_log a
           WHERE a.action = 'inbound-received' AND a.target_type = 'message'
             AND a.target_id = ANY(x.message_ids))
      ORDER BY x.seq LIMIT 10000`,
    [now, minutes],
  );
  return rows.map((r) => ({
    kind: 'acknowledgement-overdue',
    key: r.id,
    site: r.site,
    partnerId: r.partner_id,
    referralId: r.referral_id,
    exchangeId: r.id,
    detail: { deliveredAt: iso(r.delivered_at), thresholdMinutes: minutes },
  }));
}

/** A record's instant of navigator activity, from its plain facts (the payload is sealed). */
const LAST_ACTIVITY = `coalesce(x.facts->>'at', x.facts->>'completedAt', x.facts->>'agreedAt',
  x.facts->>'receivedAt')::timestamptz`;

/**
 * Open (accepted, not held) referrals whose latest navigator record — an event's `at`, an assessment's
 * `completedAt`, a plan's `agreedAt`, else the referral's `receivedAt` — is more than `days` old.
 */
export async function inactiveReferrals(db: Queryable, now: Date, days: number): Promise<AlertCondition[]> {
  const { rows } = await sql(db).query(
    `SELECT r.site, r.referral_id, max(${LAST_ACTIVITY}) AS last_activity
       FROM referrals r JOIN records x ON x.site = r.site AND x.referral_id = r.referral_id
      WHERE r.status = 'open' AND NOT r.on_hold
      GROUP BY r.site, r.referral_id
     HAVING max(${LAST_ACTIVITY}) < $1::timestamptz - make_interval(days => $2::int)
      ORDER BY r.site, r.referral_id LIMIT 10000`,
    [now, days],
  );
  return rows.map((r) => ({
    kind: 'referral-inactive',
    key: `${r.site}|${r.referral_id}`,
    site: r.site,
    referralId: r.referral_id,
    detail: { lastActivity: iso(r.last_activity), thresholdDays: days },
  }));
}

/**
 * Raises the conditions that have no open alert and clears the open alerts whose condition no longer
 * holds, under a transaction-scoped advisory lock: a second runner at the same moment gets `null`
 * (it skips this round) instead of racing the first.
 */
export async function reconcileAlerts(
  db: Db,
  conditions: readonly AlertCondition[],
  now: Date,
): Promise<AlertTransition[] | null> {
  return inTransaction(db, async (tx) => {
    const lock = await sql(tx).query(
      `SELECT pg_try_advisory_xact_lock(hashtextextended('navbridge-watchdog', 0)) AS ok`,
    );
    if (!lock.rows[0]?.ok) return null;
    const rows = JSON.stringify(
      conditions.map((c) => ({
        id: randomUUID(),
        kind: c.kind,
        key: c.key,
        site: c.site ?? null,
        partner_id: c.partnerId ?? null,
        referral_id: c.referralId ?? null,
        exchange_id: c.exchangeId ?? null,
        detail: c.detail,
      })),
    );
    const raised = await sql(tx).query(
      `INSERT INTO alerts (id, kind, key, site, partner_id, referral_id, exchange_id, detail, raised_at)
       SELECT id, kind, key, site, partner_id, referral_id, exchange_id, detail, $2
         FROM jsonb_to_recordset($1::jsonb) AS c(id uuid, kind text, key text, site text, partner_id text,
              referral_id text, exchange_id uuid, detail jsonb)
       ON CONFLICT (kind, key) WHERE cleared_at IS NULL DO NOTHING
       RETURNING id`,
      [rows, now],
    );
    const cleared = await sql(tx).query(
      `UPDATE alerts SET cleared_at = $2
        WHERE cleared_at IS NULL AND (kind, key) NOT IN (
          SELECT kind, key FROM jsonb_to_recordset($1::jsonb) AS c(kind text, key text))
       RETURNING id`,
      [rows, now],
    );
    return [
      ...raised.rows.map((r) => ({ alertId: r.id as string, event: 'raised' as const })),
      ...cleared.rows.map((r) => ({ alertId: r.id as string, event: 'cleared' as const })),
    ];
  });
}

export async function getAlert(db: Queryable, id: string): Promise<AlertView | undefined> {
  const { rows } = await sql(db).query('SELECT * FROM alerts WHERE id = $1', [id]);
  return rows[0] ? view(rows[0]) : undefined;
}

export async function listAlerts(
  db: Queryable,
  f: { state?: 'open' | 'all'; kind?: string; limit?: number },
): Promise<AlertView[]> {
  const { rows } = await sql(db).query(
    `SELECT * FROM alerts WHERE ($1 = 'all' OR cleared_at IS NULL) AND ($2::text IS NULL OR kind = $2)
      ORDER BY raised_at DESC, kind, key LIMIT $3`,
    [f.state ?? 'open', f.kind ?? null, f.limit ?? 1000],
  );
  return rows.map(view);
}
