// The sandbox partner process's test-only control endpoint (`--control`): faults injected over HTTP
// apply to the next FHIR requests in order, can be cleared, and the request log is readable.
import type { Task } from 'fhir/r4.js';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxProcesses } from '../../support/sandbox/command.js';
import { fhir, SYS } from './helpers.js';

const sandboxes = sandboxProcesses();
afterEach(() => sandboxes.killAll());
const startChild = (args: string[]) => sandboxes.spawn(args).ready;

const task: Task = {
  resourceType: 'Task',
  status: 'accepted',
  intent: 'order',
  identifier: [{ system: SYS, value: 'c1' }],
};
const put = (url: string) =>
  fetch(`${url}/Task?identifier=${encodeURIComponent(`${SYS}|c1`)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify(task),
  });

describe('sandbox partner --control', () => {
  it('injects faults over HTTP in request order, clears them, and serves the request log', async () => {
    const ready = await startChild(['--name', 'trust', '--control']);
    expect(ready.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const control = ready.control!;

    const injected = await fetch(`${control}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ status: 503 }, { dropConnection: true }]),
    });
    expect(injected.status).toBe(204);
    // metadata is never faulted (the circuit breaker's probe)
    expect((await fhir(ready.url, '/metadata')).status).toBe(200);
    expect((await put(ready.url)).status).toBe(503);
    await expect(put(ready.url)).rejects.toThrow();
    expect((await put(ready.url)).status).toBe(201);

    await fetch(`${control}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ status: 500 }]),
    });
    expect((await fetch(`${control}/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await put(ready.url)).status).toBe(200);

    const log = (await (await fetch(`${control}/requests`)).json()) as { method: string; status: number }[];
    expect(log.filter((e) => e.method === 'PUT').map((e) => e.status)).toEqual([503, 0, 201, 200]);
    // Only the stored Task: the faulted requests wrote nothing.
    const found = await fhir<{ total: number }>(
      ready.url,
      `/Task?identifier=${encodeURIComponent(`${SYS}|c1`)}`,
    );
    expect(found.body.total).toBe(1);

    const bad = await fetch(`${control}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ status: 'nope' }]),
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${control}/reset`, { method: 'POST' })).status).toBe(204);
    const after = await fhir<{ total: number }>(ready.url, '/Task');
    expect(after.body.total).toBe(0);
    expect((await fetch(`${control}/nothing`)).status).toBe(404);
  });

  it('has no control endpoint without the flag', async () => {
    const ready = await startChild(['--name', 'gp']);
    expect(ready.control).toBeUndefined();
  });
});
