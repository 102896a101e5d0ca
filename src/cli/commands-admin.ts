// Admin commands through the service's doors (the same as the admin API): `dead-letters list|show|
// replay|discard` and `records list|remap`. They need the admin credential in the environment; every
// payload view, replay, discard and remap is audited under the CLI user's name.
import os from 'node:os';
import { openRuntime, type Runtime } from '../service/runtime.js';
import type { Caller } from '../service/types.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { renderKpiTable } from './report-table.js';

export interface AdminFlags {
  remap?: boolean;
  site?: string;
  partner?: string;
  reason?: string;
  from?: string;
  to?: string;
  limit?: string;
  state?: string;
  'nhs-number'?: string;
  'correlation-id'?: string;
  'referral-id'?: string;
}

function limitOf(flags: AdminFlags): number | undefined {
  if (flags.limit === undefined) return undefined;
  const n = Number(flags.limit);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new UsageError('--limit must be a whole number from 1 to 1000');
  return n;
}

function filterFrom(flags: AdminFlags) {
  const date = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be a date or instant`);
    return d;
  };
  const from = date(flags.from, 'from');
  const to = date(flags.to, 'to');
  const limit = limitOf(flags);
  return {
    ...(flags.partner ? { partnerId: flags.partner } : {}),
    ...(flags.site ? { site: flags.site } : {}),
    ...(flags.reason ? { reason: flags.reason } : {}),
    ...(flags['nhs-number'] ? { nhsNumber: flags['nhs-number'].replace(/\s+/g, '') } : {}),
    ...(flags['correlation-id'] ? { correlationId: flags['correlation-id'] } : {}),
    ...(flags['referral-id'] ? { referralId: flags['referral-id'] } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(limit ? { limit } : {}),
  };
}

/** Opens the runtime for an admin command, after checking the admin credential is given. */
export async function adminRuntime(io: CliIo, what: string, opts: { redis: boolean; personKey: boolean }) {
  const rt = await openRuntime({
    env: io.env,
    cwd: io.cwd,
    redis: opts.redis,
    needs: { personKey: opts.personKey, partnerAuth: false },
  });
  const variable = rt.config.secrets.adminTokenEnv;
  if (!rt.secrets.adminToken) {
    await rt.close();
    throw new UsageError(`${what} needs the admin credential: set ${variable}`);
  }
  // Verified, not merely present: against secrets.adminTokenSha256 when the configuration has it.
  if (!rt.isAdminToken(rt.secrets.adminToken)) {
    await rt.close();
    throw new UsageError(`${what}: the admin credential in ${variable} is not the configured admin token`);
  }
  const caller: Caller = { kind: 'admin', actor: `cli:${os.userInfo().username}` };
  return { rt, caller };
}

export async function using<T>(rt: Runtime, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await rt.close();
  }
}

const SUBCOMMANDS = ['list', 'show', 'replay', 'discard'];

export async function runDeadLetters(args: string[], flags: AdminFlags, io: CliIo): Promise<number> {
  const [sub, id, ...rest] = args;
  if (!sub || !SUBCOMMANDS.includes(sub))
    throw new UsageError(`unknown command 'dead-letters ${sub ?? ''}'`.trim(), [
      'use list, show, replay or discard',
    ]);
  const { rt, caller } = await adminRuntime(io, 'dead-letters', {
    redis: sub === 'replay' || sub === 'discard',
    // An NHS number is found through its keyed HMAC: the person-matching key is needed.
    personKey: flags['nhs-number'] !== undefined,
  });
  const nb = rt.navbridge;
  return using(rt, async () => {
    switch (sub) {
      case 'list':
        for (const d of await nb.listDeadLetters(caller, filterFrom(flags)))
          io.stdout.write(`${JSON.stringify(d)}\n`);
        return EXIT.ok;
      case 'show': {
        if (!id) throw new UsageError('usage: navbridge dead-letters show <exchange-id>');
        io.stdout.write(`${JSON.stringify(await nb.showExchange(caller, id), null, 2)}\n`);
        return EXIT.ok;
      }
      case 'replay': {
        const target = id ? { id } : { filter: filterFrom(flags) };
        const { replayed } = await nb.replayDeadLetters(caller, target, { remap: flags.remap ?? false });
        for (const one of replayed) io.stdout.write(`replayed ${one}\n`);
        return EXIT.ok;
      }
      default: {
        const reason = rest.join(' ') || flags.reason;
        if (!id || !reason)
          throw new UsageError('usage: navbridge dead-letters discard <exchange-id> --reason TEXT');
        await nb.discardDeadLetter(caller, id, reason);
        io.stdout.write(`discarded ${id}\n`);
        return EXIT.ok;
      }
    }
  });
}

/** `records list [--state S] [--site S]` and `records remap <id> | --site S`. */
export async function runRecords(args: string[], flags: AdminFlags, io: CliIo): Promise<number> {
  const [sub, id, ...extra] = args;
  if (sub !== 'list' && sub !== 'remap')
    throw new UsageError(`unknown command 'records ${sub ?? ''}'`.trim(), ['use list or remap']);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const state = flags.state ?? 'mapping-failed';
  if (state !== 'mapping-failed' && state !== 'remapped')
    throw new UsageError('--state must be mapping-failed or remapped');
  if (sub === 'remap' && !id && !flags.site)
    throw new UsageError('usage: navbridge records remap <id> | navbridge records remap --site S');
  const { rt, caller } = await adminRuntime(io, 'records', {
    redis: sub === 'remap',
    personKey: sub === 'remap',
  });
  const nb = rt.navbridge;
  const limit = limitOf(flags);
  return using(rt, async () => {
    if (sub === 'list') {
      const rows = await nb.listFailedRecords(caller, {
        state,
        ...(flags.site ? { site: flags.site } : {}),
        ...(limit ? { limit } : {}),
      });
      for (const r of rows) io.stdout.write(`${JSON.stringify(r)}\n`);
      return EXIT.ok;
    }
    const outcomes = id
      ? [await nb.remapFailure(caller, id)]
      : await nb.remapFailures(caller, {
          ...(flags.site ? { site: flags.site } : {}),
          ...(limit ? { limit } : {}),
        });
    for (const o of outcomes) io.stdout.write(`${JSON.stringify(o)}\n`);
    return outcomes.some((o) => o.state !== 'remapped') ? EXIT.failed : EXIT.ok;
  });
}

export interface AuditFlags {
  actor?: string;
  action?: string;
  resource?: string;
  outcome?: string;
  from?: string;
  to?: string;
  after?: string;
  limit?: string;
}

function auditQueryFrom(flags: AuditFlags) {
  const date = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be a date or instant`);
    return d;
  };
  if (flags.outcome !== undefined && !['success', 'failure', 'denied'].includes(flags.outcome))
    throw new UsageError('--outcome must be success, failure or denied');
  const after = flags.after === undefined ? undefined : Number(flags.after);
  if (after !== undefined && (!Number.isInteger(after) || after < 0))
    throw new UsageError('--after must be a row number (seq)');
  const from = date(flags.from, 'from');
  const to = date(flags.to, 'to');
  const limit = limitOf(flags);
  return {
    ...(flags.actor ? { actor: flags.actor } : {}),
    ...(flags.action ? { action: flags.action } : {}),
    ...(flags.resource ? { resource: flags.resource } : {}),
    ...(flags.outcome ? { outcome: flags.outcome as 'success' | 'failure' | 'denied' } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(limit ? { limit } : {}),
  };
}

/** `audit list [filters]`, `audit export [filters]` (every page, as AuditEvents) and `audit verify`. */
export async function runAudit(args: string[], flags: AuditFlags, io: CliIo): Promise<number> {
  const [sub, ...extra] = args;
  if (sub !== 'list' && sub !== 'export' && sub !== 'verify')
    throw new UsageError(`unknown command 'audit ${sub ?? ''}'`.trim(), ['use list, export or verify']);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const q = auditQueryFrom(flags);
  const { rt, caller } = await adminRuntime(io, 'audit', { redis: false, personKey: false });
  const nb = rt.navbridge;
  return using(rt, async () => {
    if (sub === 'verify') {
      const verdict = await nb.verifyAudit(caller);
      io.stdout.write(`${JSON.stringify(verdict)}\n`);
      if (!verdict.ok)
        io.stderr.write(
          `navbridge: the audit chain is broken at row ${verdict.brokenAt} (${verdict.problem})\n`,
        );
      return verdict.ok ? EXIT.ok : EXIT.failed;
    }
    if (sub === 'list') {
      const page = await nb.queryAudit(caller, q);
      for (const row of page.entries) io.stdout.write(`${JSON.stringify(row)}\n`);
      if (page.next !== undefined) io.stderr.write(`more: --after ${page.next}\n`);
      return EXIT.ok;
    }
    // export: every page, up to --limit rows in all when given.
    let after = q.after;
    let left = q.limit ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const { bundle, next } = await nb.exportAuditEvents(caller, {
        ...q,
        ...(after !== undefined ? { after } : {}),
        limit: Math.min(1000, left),
      });
      for (const e of bundle.entry ?? []) io.stdout.write(`${JSON.stringify(e.resource)}\n`);
      left -= bundle.entry?.length ?? 0;
      if (next === undefined || left <= 0) return EXIT.ok;
      after = next;
    }
  });
}

/** `report kpi --site S --from D --to D [--json]`: the commissioners' KPI report (README "Reports"). */
export async function runReport(
  args: string[],
  flags: AdminFlags & { json?: boolean },
  io: CliIo,
): Promise<number> {
  const [sub, ...extra] = args;
  if (sub !== 'kpi') throw new UsageError(`unknown command 'report ${sub ?? ''}'`.trim(), ['use report kpi']);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!flags.site || !flags.from || !flags.to)
    throw new UsageError('usage: navbridge report kpi --site S --from YYYY-MM-DD --to YYYY-MM-DD [--json]');
  const { rt, caller } = await adminRuntime(io, 'report', { redis: false, personKey: false });
  return using(rt, async () => {
    const report = await rt.navbridge.kpiReport(caller, {
      site: flags.site!,
      from: flags.from!,
      to: flags.to!,
    });
    io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderKpiTable(report));
    return EXIT.ok;
  });
}

/** `alerts list [--all] [--json]`: the watchdog's alerts (open ones unless --all), newest first. */
export async function runAlerts(
  args: string[],
  flags: AdminFlags & { all?: boolean; json?: boolean },
  io: CliIo,
): Promise<number> {
  const [sub, ...extra] = args;
  if (sub !== 'list')
    throw new UsageError(`unknown command 'alerts ${sub ?? ''}'`.trim(), ['use alerts list']);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const limit = limitOf(flags);
  const { rt, caller } = await adminRuntime(io, 'alerts', { redis: false, personKey: false });
  return using(rt, async () => {
    const alerts = await rt.navbridge.listAlerts(caller, {
      state: flags.all ? 'all' : 'open',
      ...(limit ? { limit } : {}),
    });
    if (flags.json) {
      for (const a of alerts) io.stdout.write(`${JSON.stringify(a)}\n`);
      return EXIT.ok;
    }
    if (!alerts.length) {
      io.stdout.write(flags.all ? 'no alerts\n' : 'no open alerts\n');
      return EXIT.ok;
    }
    const rows = alerts.map((a) => [
      a.raisedAt.toISOString().slice(0, 19).replace('T', ' '),
      a.state,
      a.kind,
      a.key,
      a.clearedAt ? a.clearedAt.toISOString().slice(0, 19).replace('T', ' ') : '',
    ]);
    const head = ['raised (UTC)', 'state', 'kind', 'about', 'cleared (UTC)'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [head, ...rows])
      io.stdout.write(
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
    return EXIT.ok;
  });
}

/** Seconds as the table shows them: 45s, 12m, 3h, 2d. */
export function ageText(s: number | null): string {
  if (s === null) return '-';
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** `navbridge status`: a table per partner (text), or one JSON line per partner with --json. */
export async function runStatus(args: string[], flags: { json?: boolean }, io: CliIo): Promise<number> {
  if (args.length) throw new UsageError(`unexpected argument '${args[0]}'`);
  const { rt, caller } = await adminRuntime(io, 'status', { redis: true, personKey: false });
  return using(rt, async () => {
    const rows = await rt.navbridge.partnerStatus(caller);
    if (flags.json) {
      for (const r of rows) io.stdout.write(`${JSON.stringify(r)}\n`);
      return EXIT.ok;
    }
    const header = [
      'PARTNER',
      'PENDING',
      'IN FLIGHT',
      'DELIVERED TODAY',
      'FAILED',
      'DEAD',
      'BLOCKED',
      'CIRCUIT',
      'OLDEST UNDELIVERED',
    ];
    const table = [
      header,
      ...rows.map((r) => [
        r.partner,
        String(r.pending),
        String(r.inFlight),
        String(r.deliveredToday),
        String(r.failed),
        String(r.dead),
        String(r.blocked),
        r.circuit,
        ageText(r.oldestUndeliveredS),
      ]),
    ];
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table)
      io.stdout.write(
        `${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`,
      );
    if (!rows.length) io.stdout.write('(no partners configured)\n');
    return EXIT.ok;
  });
}
