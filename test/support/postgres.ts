// A private PostgreSQL cluster for fault tests, on a free port in a temporary folder: free to stop
// (fast or immediate: every connection dropped mid-statement) and start again. PostgreSQL refuses to
// run as root, so when the tests run as root the cluster runs as the `postgres` system user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './processes.js';
import { waitFor } from './wait.js';

const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresCluster {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  readonly url: string;
  /** `pg_ctl stop -m fast` (sessions terminated) or `-m immediate` (no shutdown at all). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function asPostgres(args: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args;
}

function run(args: string[]): void {
  const [cmd, ...rest] = asPostgres(args);
  const r = spawnSync(cmd!, rest, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nb-pg-'));
  chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  run([`${BIN}/initdb`, '-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=60`;
  const ready = () =>
    waitFor(
      async () => {
        const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 500 });
        c.on('error', () => {});
        try {
          await c.connect();
          await c.query('SELECT 1');
          return true;
        } catch {
          return false;
        } finally {
          await c.end().catch(() => {});
        }
      },
      { what: `PostgreSQL on port ${port}`, timeoutMs: 20_000 },
    );
  const start = async () => {
    run([`${BIN}/pg_ctl`, '-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']);
    await ready();
  };
  await start();
  return {
    port,
    url,
    start,
    async stop(mode = 'fast') {
      run([`${BIN}/pg_ctl`, '-D', data, '-m', mode, '-w', 'stop']);
    },
    async destroy() {
      const [cmd, ...rest] = asPostgres([`${BIN}/pg_ctl`, '-D', data, '-m', 'immediate', 'stop']);
      spawnSync(cmd!, rest);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
