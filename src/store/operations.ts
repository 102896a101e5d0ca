// What operators count, read from the store every process shares: exchanges by partner, direction
// and state, each partner's oldest undelivered exchange and deliveries today, and the kept mapping
// failures by mapping. Aggregates only (ids and counts, never payloads).
import { type Db, sql } from './pg.js';

export interface ExchangeCount {
  partnerId: string;
  direction: 'inbound' | 'outbound';
  state: string;
  count: number;
}

export interface PartnerBacklog {
  partnerId: string;
  /** Seconds since the oldest outbound exchange still to deliver (pending, in flight, failed) was stored. */
  oldestUndeliveredS: number | null;
  deliveredToday: number;
}

export interface MappingFailureCount {
  kind: 'record' | 'inbound';
  /** The mapping that failed: the record type's mapping, or `inbound/<partner>`. */
  mapping: string;
  site: string;
  count: number;
}

export interface OperationsSnapshot {
  exchanges: ExchangeCount[];
  backlog: PartnerBacklog[];
  mappingFailures: MappingFailureCount[];
}

/** Three grouped queries; `today` starts at midnight UTC. */
export async function operationsSnapshot(db: Db): Promise<OperationsSnapshot> {
  const q = sql(db);
  const [ex, backlog, failures] = await Promise.all([
    q.query(
      `SELECT COALESCE(partner_id, '') AS partner_id, direction, status, count(*)::int AS n FROM exchanges
        GROUP BY partner_id, direction, status`,
    ),
    q.query(
      `SELECT partner_id,
              extract(epoch FROM now() - min(created_at) FILTER (
                WHERE status IN ('pending', 'in-flight', 'failed')))::float8 AS oldest_s,
              (count(*) FILTER (WHERE status = 'delivered'
                 AND delivered_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'))::int
                AS delivered_today
         FROM exchanges WHERE direction = 'outbound' GROUP BY partner_id`,
    ),
    q.query(
      `SELECT kind, CASE WHEN kind = 'inbound' THEN 'inbound/' || COALESCE(partner_id, '')
                         ELSE COALESCE(record_type, '') END AS mapping,
              COALESCE(site, '') AS site, count(*)::int AS n
         FROM record_failures WHERE state = 'mapping-failed' GROUP BY 1, 2, 3`,
    ),
  ]);
  return {
    exchanges: ex.rows.map((r) => ({
      partnerId: r.partner_id as string,
      direction: r.direction as ExchangeCount['direction'],
      state: r.status as string,
      count: r.n as number,
    })),
    backlog: backlog.rows.map((r) => ({
      partnerId: r.partner_id as string,
      oldestUndeliveredS: (r.oldest_s as number | null) ?? null,
      deliveredToday: r.delivered_today as number,
    })),
    mappingFailures: failures.rows.map((r) => ({
      kind: r.kind as MappingFailureCount['kind'],
      mapping: r.mapping as string,
      site: r.site as string,
      count: r.n as number,
    })),
  };
}
