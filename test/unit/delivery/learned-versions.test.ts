// An attempt's learned versions: kept in memory (the last answer of a resource wins) and read over the
// stored ones, so a replan within the attempt sees what the partner just answered; only what it has
// not learned is asked of the store.
import { describe, expect, it } from 'vitest';
import { LearnedVersions } from '../../../src/delivery/versioned-writes.js';

describe('LearnedVersions', () => {
  const stored = () => {
    const asked: string[][] = [];
    const rows = new Map([
      ['Task/t-1', { serverId: 'srv-t1', etag: 'W/"1"' }],
      ['Goal/g-1', { serverId: 'srv-g1', etag: 'W/"4"' }],
    ]);
    return {
      asked,
      async getMany(resources: readonly { resourceType: string; id: string }[]) {
        const keys = resources.map((r) => `${r.resourceType}/${r.id}`);
        asked.push(keys);
        return new Map(keys.flatMap((k) => (rows.has(k) ? [[k, rows.get(k)!] as const] : [])));
      },
    };
  };

  it('reads the stored versions until it learns newer ones, then its own', async () => {
    const s = stored();
    const v = new LearnedVersions(s);
    const want = [
      { resourceType: 'Task', id: 't-1' },
      { resourceType: 'Goal', id: 'g-1' },
      { resourceType: 'CarePlan', id: 'c-1' },
    ];
    expect(Object.fromEntries(await v.getMany(want))).toEqual({
      'Task/t-1': { serverId: 'srv-t1', etag: 'W/"1"' },
      'Goal/g-1': { serverId: 'srv-g1', etag: 'W/"4"' },
    });
    await v.setMany([
      { resourceType: 'Task', resourceId: 't-1', serverId: 'srv-t1', etag: 'W/"2"' },
      { resourceType: 'CarePlan', resourceId: 'c-1', serverId: 'srv-c1', etag: undefined },
    ]);
    await v.set('Task', 't-1', 'srv-t1', 'W/"3"');
    expect(Object.fromEntries(await v.getMany(want))).toEqual({
      'Task/t-1': { serverId: 'srv-t1', etag: 'W/"3"' },
      'Goal/g-1': { serverId: 'srv-g1', etag: 'W/"4"' },
      'CarePlan/c-1': { serverId: 'srv-c1', etag: undefined },
    });
    // The second read asked the store only for what had not been learned.
    expect(s.asked).toEqual([['Task/t-1', 'Goal/g-1', 'CarePlan/c-1'], ['Goal/g-1']]);
    expect(v.all()).toEqual([
      { resourceType: 'Task', resourceId: 't-1', serverId: 'srv-t1', etag: 'W/"3"' },
      { resourceType: 'CarePlan', resourceId: 'c-1', serverId: 'srv-c1', etag: undefined },
    ]);
  });

  it('asks the store nothing when everything was learned, and has learned nothing at first', async () => {
    const s = stored();
    const v = new LearnedVersions(s);
    expect(v.all()).toEqual([]);
    await v.set('Goal', 'g-9', 'srv-g9', undefined);
    expect([...(await v.getMany([{ resourceType: 'Goal', id: 'g-9' }]))]).toEqual([
      ['Goal/g-9', { serverId: 'srv-g9', etag: undefined }],
    ]);
    expect(s.asked).toEqual([]);
  });
});
