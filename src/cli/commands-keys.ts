// `navbridge keys generate|status|rotate` (master keys for encryption at rest) and `navbridge prune`. `generate` prints a new
// key entry for NAVBRIDGE_MASTER_KEYS; `status` counts how each sealed column's rows are held; `rotate`
// reseals, in batches and while the service runs, every row not under the active key (plaintext
// written before sealing included), and fills the plain facts of records sealed before records.facts. status and rotate need the admin credential and are audited.
import { randomBytes } from 'node:crypto';
import { unknownKeyRows } from '../service/keys.js';
import { adminRuntime, using } from './commands-admin.js';
import { type CliIo, EXIT, UsageError } from './io.js';

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

function batchOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new UsageError('--batch must be a whole number from 1 to 10000');
  return n;
}

export async function runKeys(args: string[], flags: { batch?: string }, io: CliIo): Promise<number> {
  const [sub, id, ...extra] = args;
  if (sub === 'generate') {
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const keyId = id ?? `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
    if (!KEY_ID.test(keyId)) throw new UsageError('a key id is 1-32 of A-Z a-z 0-9 _ . -');
    // Printed for the operator to put in the secret store: the one place a master key is shown.
    io.stdout.write(`${keyId}:${randomBytes(32).toString('base64')}\n`);
    return EXIT.ok;
  }
  if (sub !== 'status' && sub !== 'rotate')
    throw new UsageError(`unknown command 'keys ${sub ?? ''}'`.trim(), ['use generate, status or rotate']);
  if (id !== undefined) throw new UsageError(`unexpected argument '${id}'`);
  const batchRows = batchOf(flags.batch);
  const { rt, caller } = await adminRuntime(io, 'keys', { redis: false, personKey: false });
  return using(rt, async () => {
    if (sub === 'status') {
      const status = await rt.navbridge.keyStatus(caller);
      io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      const unknown = Object.entries(unknownKeyRows(status));
      if (unknown.length === 0) return EXIT.ok;
      const rows = unknown.reduce((a, [, n]) => a + n, 0);
      io.stderr.write(
        `${rows} rows are sealed under master keys not configured here (${unknown.map(([k]) => k).join(', ')}): ` +
          'they cannot be read; add the keys to NAVBRIDGE_MASTER_KEYS\n',
      );
      return EXIT.failed;
    }
    const report = await rt.navbridge.rotateKeys(caller, {
      ...(batchRows ? { batchRows } : {}),
      onBatch: (column, rows) =>
        io.stderr.write(`${column}: ${rows} ${column === 'records.facts' ? 'filled' : 'resealed'}\n`),
    });
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const left = Object.values(report.remaining).reduce((a, b) => a + b, report.facts.remaining);
    if (left > 0) io.stderr.write(`${left} rows were in use: run keys rotate again\n`);
    return left > 0 ? EXIT.failed : EXIT.ok;
  });
}

/** `navbridge prune`: deletes payloads past their retention days now (workers also do it hourly). */
export async function runPrune(args: string[], io: CliIo): Promise<number> {
  if (args.length) throw new UsageError(`unexpected argument '${args[0]}'`);
  const { rt, caller } = await adminRuntime(io, 'prune', { redis: false, personKey: false });
  return using(rt, async () => {
    const counts = await rt.navbridge.prunePayloads(caller, rt.config.retention);
    io.stdout.write(`${JSON.stringify(counts)}\n`);
    return EXIT.ok;
  });
}
