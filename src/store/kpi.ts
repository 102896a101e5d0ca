// The commissioners' KPI figures of one site over a period, computed by PostgreSQL from the stored
// records (latest version of each, retracted ones removed) and the referrals table, in one statement.
// The definitions are in README "Reports"; src/service/reports.ts shapes the rows into the report.
import { type Db, inTransaction } from './db.js';
import { sql } from './pg.js';

export type DayMode = 'calendar' | 'working-days';

export interface KpiQuery {
  site: string;
  /** First and last London dates of the period (YYYY-MM-DD, inclusive): referrals received in it. */
  from: string;
  to: string;
  /** The report's instant: a clock not met and not yet due at `now` is still running. */
  now: Date;
  clock: DayMode;
  bankHolidays: readonly string[];
  supportTarget: { weeks: number; days: DayMode };
}

/** Counts per code, e.g. { gp: 3, self: 1 }. */
export type Counts = Record<string, number>;

export interface ClockRow {
  met: number;
  late: number;
  missed: number;
  running: number;
  excluded: number;
}

export interface KpiRows {
  received: number;
  byRoute: Counts;
  triage: Counts;
  disposition: Counts;
  rejectedByReason: Counts;
  contact: ClockRow;
  assessment: ClockRow;
  medians: {
    receivedToContact: number | null;
    contactToAssessment: number | null;
    assessmentToDischarge: number | null;
    receivedToDischarge: number | null;
  };
  dischargesByReason: Counts;
  onwardByType: Counts;
  onwardTotal: number;
  distinctServices: number;
  needsByDomain: Counts;
  outcomes: { measure: string; people: number; meanFirst: number; meanLast: number; meanChange: number }[];
  openCaseload: number;
  onHoldNow: number;
  support: { discharged: number; withinTarget: number; medianDays: number | null };
}

/**
 * London wall-clock arithmetic in SQL, as src/clock does it: `addCalendar` the same London time k days
 * later; `addWorking` the same London time on the k-th working day after the start's date (a start on
 * a non-working day counts from 00:00 on the next working day), through the `cal` and `wd` tables of
 * the statement. A joined name per use keeps the joins apart.
 */
const LONDON = `'Europe/London'`;
/**
 * The instant London's clocks read `local` (a timestamp). PostgreSQL resolves a reading that occurs
 * twice (01:00–02:00 on the autumn change day) to the later, standard-time instant; src/clock takes the
 * first (summer time) one, so the earlier is used when it reads the same. A reading in the spring gap
 * resolves to an hour later on the clock in both.
 */
const fromLondon = (local: string) => {
  const later = `((${local}) AT TIME ZONE ${LONDON})`;
  return `(CASE WHEN ((${later} - interval '1 hour') AT TIME ZONE ${LONDON}) = (${local})
            THEN ${later} - interval '1 hour' ELSE ${later} END)`;
};
const addCalendar = (start: string, k: string) =>
  fromLondon(`((${start}) AT TIME ZONE ${LONDON}) + make_interval(days => ${k})`);
function addWorking(start: string, k: string, tag: string): { joins: string; expr: string } {
  return {
    joins: `LEFT JOIN cal ${tag}c ON ${tag}c.d = ((${start}) AT TIME ZONE ${LONDON})::date
            LEFT JOIN wd ${tag}w ON ${tag}w.n = ${tag}c.next_n + ${k}`,
    expr: fromLondon(`${tag}w.d + CASE WHEN ${tag}c.working THEN ((${start}) AT TIME ZONE ${LONDON})::time
              ELSE time '00:00' END`),
  };
}

/** The `cal` (every date: working?, index of the next working day) and `wd` (working days, numbered) tables. */
const calendar = (first: string, last: string, holidays: string) => `
cal0 AS (
  SELECT g.d::date AS d,
         extract(isodow FROM g.d) < 6 AND NOT (g.d::date = ANY(${holidays}::date[])) AS working
    FROM generate_series(${first}, ${last}, interval '1 day') AS g(d)
),
cal1 AS (SELECT d, working, count(*) FILTER (WHERE working) OVER (ORDER BY d) AS upto FROM cal0),
-- next_n: the index of the first working day on or after d.
cal AS (SELECT d, working, CASE WHEN working THEN upto ELSE upto + 1 END AS next_n FROM cal1),
wd AS (SELECT d, upto AS n FROM cal1 WHERE working),`;

const contactW = addWorking('a.received', '3', 'cx');
const assessW = addWorking('a.received', '10', 'ax');
const supportW = addWorking('a.contacted_at', '$8::int * 5', 'sx');

/** Exported for scripts/bench-kpi.mjs (EXPLAIN). */
// $1 site, $2 from, $3 to, $4 now, $5 clock mode, $6 bank holidays, $7 target mode, $8 target weeks.
export const KPI_STATEMENT = `
WITH
${calendar('$2::date - 7', `greatest($3::date, ($4::timestamptz AT TIME ZONE ${LONDON})::date) + 800`, '$6')}
ref AS (
  SELECT DISTINCT ON (source_id) source_id AS referral_id, facts->>'route' AS route,
         (facts->>'receivedAt')::timestamptz AS received
    FROM records WHERE site = $1 AND record_type = 'referral'
   ORDER BY source_id, version DESC
),
cohort AS MATERIALIZED (
  SELECT r.referral_id, f.route, coalesce(f.received, r.received_at) AS received,
         r.triage->>'outcome' AS triage_outcome, r.triage->>'reason' AS triage_reason,
         r.task_status, r.on_hold
    FROM ref f JOIN referrals r ON r.site = $1 AND r.referral_id = f.referral_id
   WHERE coalesce(f.received, r.received_at) >= ($2::date::timestamp AT TIME ZONE ${LONDON})
     AND coalesce(f.received, r.received_at) < (($3::date + 1)::timestamp AT TIME ZONE ${LONDON})
     AND r.task_status <> 'entered-in-error'
),
-- The latest version of each record of the cohort, reduced to the facts the figures read (the payload
-- is sealed; records.facts holds its coded fields in plain: src/store/record-facts.ts).
rec AS (
  SELECT DISTINCT ON (x.record_type, x.source_id) x.record_type, x.source_id, x.referral_id,
         CASE WHEN x.record_type = 'event' THEN x.facts->>'type' END AS type,
         CASE WHEN x.record_type = 'event' THEN (x.facts->>'at')::timestamptz END AS at,
         x.facts->>'reason' AS reason,
         x.facts->>'consentConfirmed' = 'false' AS consent_refused,
         x.facts->>'measure' AS measure,
         CASE WHEN x.record_type = 'event' THEN (x.facts->>'score')::numeric END AS score,
         x.facts->>'recordType' AS target_type, x.facts->>'recordId' AS target_id,
         CASE WHEN x.record_type = 'assessment' THEN (x.facts->>'completedAt')::timestamptz END AS completed_at,
         CASE WHEN x.record_type = 'assessment' THEN x.facts->'domains' END AS domains,
         CASE WHEN x.record_type = 'support-plan' THEN x.facts->'onward' END AS onward
    FROM records x JOIN cohort c ON x.site = $1 AND x.referral_id = c.referral_id
   WHERE x.record_type <> 'referral'
   ORDER BY x.record_type, x.source_id, x.version DESC
),
retracted AS (
  SELECT DISTINCT target_type AS record_type, target_id AS source_id
    FROM rec WHERE type = 'entered-in-error'
),
live AS MATERIALIZED (
  SELECT rec.* FROM rec
   WHERE NOT EXISTS (SELECT 1 FROM retracted t WHERE t.record_type = rec.record_type
                       AND t.source_id = rec.source_id)
),
ev AS MATERIALIZED (SELECT referral_id, type, at, reason, consent_refused, measure, score FROM live WHERE type IS NOT NULL),
evagg AS (
  SELECT referral_id,
         min(at) FILTER (WHERE type = 'contacted') AS contacted_at,
         min(at) FILTER (WHERE type = 'assessment-completed') AS assessed_event_at,
         max(at) FILTER (WHERE type = 'discharged') AS discharged_at,
         (array_agg(reason ORDER BY at DESC) FILTER (WHERE type = 'discharged'))[1] AS discharge_reason,
         (array_agg(reason ORDER BY at DESC) FILTER (WHERE type = 'rejected'))[1] AS rejected_reason,
         coalesce(bool_or(type = 'contacted' AND consent_refused), false) AS consent_refused
    FROM ev GROUP BY referral_id
),
asagg AS (
  SELECT referral_id, min(completed_at) AS at FROM live WHERE record_type = 'assessment' GROUP BY referral_id
),
a AS (
  SELECT c.*, e.contacted_at, e.discharged_at, e.discharge_reason, e.rejected_reason,
         coalesce(e.consent_refused, false) AS consent_refused,
         CASE WHEN e.assessed_event_at IS NULL THEN s.at WHEN s.at IS NULL THEN e.assessed_event_at
              ELSE least(e.assessed_event_at, s.at) END AS assessed_at
    FROM cohort c LEFT JOIN evagg e USING (referral_id) LEFT JOIN asagg s USING (referral_id)
),
per AS MATERIALIZED (
  SELECT a.*,
         CASE WHEN $5 = 'working-days' THEN ${contactW.expr} ELSE a.received + interval '72 hours' END AS contact_due,
         CASE WHEN $5 = 'working-days' THEN ${assessW.expr} ELSE ${addCalendar('a.received', '14')} END AS assess_due,
         CASE WHEN $7 = 'working-days' THEN ${supportW.expr} ELSE ${addCalendar('a.contacted_at', '$8::int * 7')} END
           AS support_due,
         CASE WHEN a.task_status = 'rejected' THEN coalesce(a.rejected_reason,
              CASE WHEN a.consent_refused THEN 'no-consent' END, a.triage_reason, 'other') END AS rejection
    FROM a ${contactW.joins} ${assessW.joins} ${supportW.joins}
),
clocks AS (
  SELECT
    CASE WHEN contacted_at IS NOT NULL THEN CASE WHEN contacted_at <= contact_due THEN 'met' ELSE 'late' END
         WHEN task_status IN ('rejected', 'cancelled') THEN 'excluded'
         WHEN contact_due < $4::timestamptz THEN 'missed' ELSE 'running' END AS contact,
    CASE WHEN assessed_at IS NOT NULL THEN CASE WHEN assessed_at <= assess_due THEN 'met' ELSE 'late' END
         WHEN task_status IN ('rejected', 'cancelled') THEN 'excluded'
         WHEN assess_due < $4::timestamptz THEN 'missed' ELSE 'running' END AS assessment
    FROM per
),
outcome_scores AS (SELECT referral_id, measure, score, at FROM ev WHERE type = 'outcome-recorded'),
outcome_people AS (
  SELECT referral_id, measure,
         (array_agg(score ORDER BY at))[1] AS first, (array_agg(score ORDER BY at DESC))[1] AS last
    FROM outcome_scores GROUP BY referral_id, measure HAVING count(*) >= 2
),
onward AS (
  SELECT DISTINCT ON (l.referral_id, o->>'id') l.referral_id, o->>'type' AS type, o->>'service' AS service
    FROM live l CROSS JOIN LATERAL jsonb_array_elements(l.onward) AS o
   WHERE l.record_type = 'support-plan'
),
needs AS (
  SELECT DISTINCT l.referral_id, dm->>'domain' AS domain
    FROM live l CROSS JOIN LATERAL jsonb_array_elements(l.domains) AS dm
   WHERE l.record_type = 'assessment' AND (dm->>'needIdentified')::boolean
)
SELECT
  (SELECT count(*) FROM per)::int AS received,
  (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM
     (SELECT coalesce(route, 'unknown') AS k, count(*)::int AS n FROM per GROUP BY 1) q) AS by_route,
  (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM
     (SELECT coalesce(triage_outcome, 'unknown') AS k, count(*)::int AS n FROM per GROUP BY 1) q) AS triage,
  (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM
     (SELECT CASE WHEN task_status = 'rejected' THEN 'rejected' WHEN task_status = 'cancelled' THEN 'withdrawn'
                  WHEN on_hold THEN 'held' ELSE 'accepted' END AS k, count(*)::int AS n FROM per GROUP BY 1) q)
    AS disposition,
  (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM
     (SELECT rejection AS k, count(*)::int AS n FROM per WHERE rejection IS NOT NULL GROUP BY 1) q)
    AS rejected_by_reason,
  (SELECT jsonb_object_agg(k, n) FROM (SELECT contact AS k, count(*)::int AS n FROM clocks GROUP BY 1) q)
    AS contact,
  (SELECT jsonb_object_agg(k, n) FROM (SELECT assessment AS k, count(*)::int AS n FROM clocks GROUP BY 1) q)
    AS assessment,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM contacted_at - received) / 86400.0)
     FROM per WHERE contacted_at IS NOT NULL) AS m_received_contact,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assessed_at - contacted_at) / 86400.0)
     FROM per WHERE contacted_at IS NOT NULL AND assessed_at IS NOT NULL) AS m_contact_assessment,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM discharged_at - assessed_at) / 86400.0)
     FROM per WHERE assessed_at IS NOT NULL AND discharged_at IS NOT NULL) AS m_assessment_discharge,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM discharged_at - received) / 86400.0)
     FROM per WHERE discharged_at IS NOT NULL) AS m_received_discharge,
  (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM
     (SELECT coalesce(discharge_reason, 'other') AS k, count(*)::int AS n FROM per
       WHERE discharged_at IS NOT NULL GROUP BY 1) q) AS discharges_by_reason,
  (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM
     (SELECT type AS k, count(*)::int AS n FROM onward GROUP BY 1) q) AS onward_by_type,
  (SELECT count(*) FROM onward)::int AS onward_total,
  (SELECT count(DISTINCT service) FROM onward)::int AS distinct_services,
  (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM
     (SELECT domain AS k, count(*)::int AS n FROM needs GROUP BY 1) q) AS needs_by_domain,
  (SELECT coalesce(jsonb_agg(q ORDER BY measure), '[]') FROM
     (SELECT measure, count(*)::int AS people, avg(first)::float8 AS "meanFirst", avg(last)::float8 AS "meanLast",
             avg(last - first)::float8 AS "meanChange"
        FROM outcome_people GROUP BY measure) q) AS outcomes,
  (SELECT count(*) FROM referrals WHERE site = $1 AND status <> 'closed')::int AS open_caseload,
  (SELECT count(*) FROM referrals WHERE site = $1 AND status <> 'closed' AND on_hold)::int AS on_hold_now,
  (SELECT count(*) FROM per WHERE discharged_at IS NOT NULL AND contacted_at IS NOT NULL)::int AS s_discharged,
  (SELECT count(*) FROM per WHERE discharged_at IS NOT NULL AND contacted_at IS NOT NULL
      AND discharged_at <= support_due)::int AS s_within,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM discharged_at - contacted_at) / 86400.0)
     FROM per WHERE discharged_at IS NOT NULL AND contacted_at IS NOT NULL) AS s_median
`;

const clockRow = (j: Record<string, number> | null): ClockRow => ({
  met: j?.met ?? 0,
  late: j?.late ?? 0,
  missed: j?.missed ?? 0,
  running: j?.running ?? 0,
  excluded: j?.excluded ?? 0,
});
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The statement sorts and hashes every record of the cohort (a year of a busy site: ~100,000 referrals,
 * ~700,000 record versions); the default 4 MB work_mem spills that to disk. Raised for this read only.
 * JIT off: the planner cannot estimate rows through the CTEs, so it costs the statement in millions and
 * JIT-compiles ~300 functions — measured 2.2 s of a 2.9 s run on 20,000 referrals, for nothing.
 */
const REPORT_WORK_MEM = '64MB';

export async function kpiRows(db: Db, q: KpiQuery): Promise<KpiRows> {
  const rows = await inTransaction(db, async (tx) => {
    await sql(tx).query(`SET LOCAL work_mem = '${REPORT_WORK_MEM}'`);
    await sql(tx).query('SET LOCAL jit = off');
    return (
      await sql(tx).query(KPI_STATEMENT, [
        q.site,
        q.from,
        q.to,
        q.now,
        q.clock,
        [...q.bankHolidays],
        q.supportTarget.days,
        q.supportTarget.weeks,
      ])
    ).rows;
  });
  const r = rows[0]!;
  return {
    received: r.received,
    byRoute: r.by_route,
    triage: r.triage,
    disposition: r.disposition,
    rejectedByReason: r.rejected_by_reason,
    contact: clockRow(r.contact),
    assessment: clockRow(r.assessment),
    medians: {
      receivedToContact: num(r.m_received_contact),
      contactToAssessment: num(r.m_contact_assessment),
      assessmentToDischarge: num(r.m_assessment_discharge),
      receivedToDischarge: num(r.m_received_discharge),
    },
    dischargesByReason: r.discharges_by_reason,
    onwardByType: r.onward_by_type,
    onwardTotal: r.onward_total,
    distinctServices: r.distinct_services,
    needsByDomain: r.needs_by_domain,
    outcomes: r.outcomes,
    openCaseload: r.open_caseload,
    onHoldNow: r.on_hold_now,
    support: { discharged: r.s_discharged, withinTarget: r.s_within, medianDays: num(r.s_median) },
  };
}

/**
 * The report's London arithmetic on its own: `days` calendar or working days after each start, as the
 * statement computes due instants (tests check it against src/clock on random instants).
 */
export async function dueInstantsSql(
  db: Db,
  q: { starts: readonly Date[]; days: number; mode: DayMode; bankHolidays: readonly string[] },
): Promise<Date[]> {
  const w = addWorking('a.received', '$2::int', 'q');
  const { rows } = await sql(db).query(
    `WITH ${calendar('(SELECT min(s) FROM unnest($1::timestamptz[]) s)::date - 7', '(SELECT max(s) FROM unnest($1::timestamptz[]) s)::date + $2::int * 3 + 30', '$4')}
     a AS (SELECT s AS received, o FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(s, o))
     SELECT CASE WHEN $3 = 'working-days' THEN ${w.expr} ELSE ${addCalendar('a.received', '$2::int')} END AS due
       FROM a ${w.joins} ORDER BY a.o`,
    [q.starts, q.days, q.mode, [...q.bankHolidays]],
  );
  return rows.map((r) => r.due as Date);
}
