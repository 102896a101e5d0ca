// Admin commands through the service's doors (the same as the admin API): `dead-letters list|show|
// replay|discard` and `records list|remap`. They need the admin credential in the environment; every
// payload view, replay, discard and remap is audited under the CLI user's name.
import os from 'node:os';
import { openRuntime, type Runtime } from '../service/runtime.js';
import type { Caller } from '../service/types.js';
import { type CliIo, EXIT, UsageError } from './io.js';

export interface AdminFlags {
  remap?: boolean;
  site?: string;
  partner?: string;
  reason?: string;
  from?: string;
  to?: string;
  limit?: string;
  state?: string;
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
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(limit ? { limit } : {}),
  };
}

/** Opens the runtime for an admin command, after checking the admin credential is given. */
async function adminRuntime(io: CliIo, what: string, opts: { redis: boolean; personKey: boolean }) {
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

async function using<T>(rt: Runtime, fn: () => Promise<T>): Promise<T> {
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
    personKey: false,
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
