// The partner server as its own process (how the demo runs partners): ready line, HTTP, clean SIGTERM.
import { once } from 'node:events';
import type { Bundle, Task } from 'fhir/r4.js';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxProcesses } from '../../support/sandbox/command.js';
import { fhir, SYS } from './helpers.js';

const sandboxes = sandboxProcesses();
afterEach(() => sandboxes.killAll());

describe('partner server process', () => {
  it('prints one ready JSON line, serves FHIR, and exits 0 on SIGTERM', async () => {
    const { child, ready: started } = sandboxes.spawn(['--port', '0', '--name', 'gp']);
    const ready = await started;
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

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    await expect(fetch(`${ready.url}/metadata`)).rejects.toThrow();
  });

  it('exits 2 on a bad port', async () => {
    const { child } = sandboxes.spawn(['--port', 'x'], { quiet: true });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
  });
});
