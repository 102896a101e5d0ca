// The partner server as its own process (how the demo runs partners): ready line, HTTP, clean SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Bundle, Task } from 'fhir/r4.js';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxNodeArgs } from '../../support/sandbox/command.js';
import { fhir, SYS } from './helpers.js';

let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

async function startChild(args: string[]): Promise<{ ready: boolean; name: string; url: string }> {
  child = spawn(process.execPath, sandboxNodeArgs(args), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  return JSON.parse(first);
}

describe('partner server process', () => {
  it('prints one ready JSON line, serves FHIR, and exits 0 on SIGTERM', async () => {
    const ready = await startChild(['--port', '0', '--name', 'gp']);
    expect(ready.ready).toBe(true);
    expect(ready.name).toBe('gp');
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/);

    const task: Task = {
      resourceType: 'Task',
      status: 'accepted',
      intent: 'order',
      identifier: [{ system: SYS, value: 't1' }],
    };
    const url = `/Task?identifier=${encodeURIComponent(`${SYS}|t1`)}`;
    expect((await fhir(ready.url, url, { method: 'PUT', body: task })).status).toBe(201);
    expect(
      (await fhir(ready.url, url, { method: 'PUT', body: { ...task, status: 'in-progress' } })).status,
    ).toBe(200);
    const found = await fhir<Bundle>(ready.url, url);
    expect(found.body.total).toBe(1);
    expect((found.body.entry?.[0]?.resource as Task | undefined)?.status).toBe('in-progress');

    const exited = once(child!, 'exit');
    child!.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    await expect(fetch(`${ready.url}/metadata`)).rejects.toThrow();
  });

  it('exits 2 on a bad port', async () => {
    child = spawn(process.execPath, sandboxNodeArgs(['--port', 'x']), { stdio: 'ignore' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
  });
});
