// A resource's history reads newest first every time, also after earlier reads and later writes
// (medplum's MemoryRepository reversed its stored version list in place on each read).
import type { Bundle, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PartnerServer, startPartnerServer } from '../../support/sandbox/partner-server.js';
import { fhir, SYS } from './helpers.js';

describe('sandbox partner history', () => {
  let server: PartnerServer;
  beforeAll(async () => {
    server = await startPartnerServer({ name: 'history' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('is newest first on every read, across writes', async () => {
    const url = `/Task?identifier=${encodeURIComponent(`${SYS}|h1`)}`;
    const put = (step: string) =>
      fhir(server.url, url, {
        method: 'PUT',
        body: {
          resourceType: 'Task',
          status: 'in-progress',
          intent: 'order',
          identifier: [{ system: SYS, value: 'h1' }],
          businessStatus: { text: step },
        } satisfies Task,
      });
    await put('s1');
    await put('s2');
    await put('s3');
    const [task] = await server.search<Task>('Task', { identifier: `${SYS}|h1` });
    const overHttp = async () =>
      ((await fhir<Bundle>(server.url, `/Task/${task!.id}/_history`)).body.entry ?? []).map(
        (e) => (e.resource as Task).businessStatus?.text,
      );
    const inProcess = async () =>
      (await server.history<Task>('Task', task!.id!)).map((t) => t.businessStatus?.text);
    expect(await overHttp()).toEqual(['s3', 's2', 's1']);
    expect(await overHttp()).toEqual(['s3', 's2', 's1']);
    expect(await inProcess()).toEqual(['s3', 's2', 's1']);
    await put('s4');
    expect(await inProcess()).toEqual(['s4', 's3', 's2', 's1']);
    expect(await overHttp()).toEqual(['s4', 's3', 's2', 's1']);
  });
});
