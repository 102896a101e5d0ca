// Real OS processes for resilience tests: `navbridge worker` processes (through tsx) and private
// redis-server instances that tests may flush or kill. Every child is tracked and killed when the test
// process exits, so a failing test never leaves workers or servers behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { waitFor } from './wait.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Kills the child (SIGKILL) if it is still running when the test process exits; resolves with its exit. */
export function track(child: ChildProcess): Promise<Exit> {
  children.add(child);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
}

/** Kills every child still running (afterAll/afterEach) and waits until each is gone. */
export async function killAllChildren(): Promise<void> {
  const running = [...children];
  await Promise.all(
    running.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL by default); its data is gone (no persistence). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/** A private redis-server without persistence, on a free port: free to flush, kill and restart. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<Exit> | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    exited = track(child);
    await waitFor(
      async () => {
        const probe = new Redis(url, {
          lazyConnect: true,
          retryStrategy: () => null,
          maxRetriesPerRequest: 0,
        });
        probe.on('error', () => {});
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      },
      { what: `redis-server on port ${port}`, timeoutMs: 10_000 },
    );
  };
  await start();
  return {
    port,
    url,
    start,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

export interface LogLine {
  level?: number;
  msg?: string;
  event?: string;
  exchange?: string;
  outcome?: string;
  [key: string]: unknown;
}

export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** pino lines written so far (JSON on stderr). */
  logs(): LogLine[];
  /** Everything the process wrote, for failure messages. */
  output(): string;
  waitForLog(match: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  signal(sig: NodeJS.Signals): void;
}

/** `node --import tsx src/cli/run.ts worker` with the given environment added to a minimal one. */
export function spawnWorker(name: string, env: Record<string, string>): WorkerProcess {
  return spawnNavbridge(name, ['worker'], env);
}

/** `node --import tsx src/cli/run.ts <args>` (serve, start, worker...) with a minimal environment. */
export function spawnNavbridge(name: string, args: string[], env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = track(child);
  let text = '';
  let partial = '';
  const lines: LogLine[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    const s = d.toString();
    text += s;
    partial += s;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        // not a pino line (e.g. a Node warning): kept in output() only
      }
    }
  });
  let exit: Exit | undefined;
  void exited.then((e) => {
    exit = e;
  });
  return {
    name,
    pid: child.pid ?? -1,
    exited,
    logs: () => [...lines],
    output: () => text,
    waitForLog(match, what, timeoutMs = 20_000) {
      return waitForOutput({ name, lines, exit: () => exit, output: () => text }, match, what, timeoutMs);
    },
    signal(sig) {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
  };
}

/**
 * The first of a process's output lines that `match` accepts (polled as they arrive); fails as soon as
 * the process has exited without writing one, with everything it wrote.
 */
export function waitForOutput<T>(
  proc: { name: string; lines: readonly T[]; exit(): Exit | undefined; output(): string },
  match: (line: T) => boolean,
  what: string,
  timeoutMs: number,
): Promise<T> {
  return waitFor(
    async () => {
      const hit = proc.lines.find(match);
      if (hit) return hit;
      const exit = proc.exit();
      if (exit)
        throw new Error(`${proc.name} exited (${JSON.stringify(exit)}) before ${what}:\n${proc.output()}`);
      return undefined;
    },
    { what: `${proc.name}: ${what}`, timeoutMs, intervalMs: 25 },
  );
}

export interface TempConfig {
  file: string;
  remove(): void;
}

/** Writes a navbridge.config.yaml to a temporary folder. */
export function writeTempConfig(config: unknown): TempConfig {
  const dir = mkdtempSync(path.join(tmpdir(), 'navbridge-cfg-'));
  const file = path.join(dir, 'navbridge.config.yaml');
  writeFileSync(file, stringify(config));
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
