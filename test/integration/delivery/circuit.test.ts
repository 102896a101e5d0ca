// The circuit breaker with its state in PostgreSQL, as every worker shares it: it opens at the
// threshold, makes deliveries wait out the cool-down, lets exactly one trial through (however many
// workers ask at once), closes on the trial's success and opens again on its failure; a trial whose
// worker died is taken over once the next cool-down passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitStore } from '../../../src/delivery/circuit-breaker.js';
import {
  claimCircuitTrial,
  readCircuit,
  recordCircuitFailure,
  recordCircuitSuccess,
  releaseCircuitTrial,
} from '../../../src/store/circuits.js';
import type { Db } from '../../../src/store/db.js';
import { createTestDb, type TestDb } from '../../support/db.js';
import { waitFor } from '../../support/wait.js';

const storeFor = (db: Db, partnerId: string): CircuitStore => ({
  read: () => readCircuit(db, partnerId),
  recordFailure: (policy) => recordCircuitFailure(db, partnerId, policy),
  recordSuccess: () => recordCircuitSuccess(db, partnerId),
  claimTrial: (cooldownMs) => claimCircuitTrial(db, partnerId, cooldownMs),
  releaseTrial: () => releaseCircuitTrial(db, partnerId),
});

describe('circuit breaker shared through PostgreSQL', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => t?.close());

  const policy = { failureThreshold: 3, cooldownMs: 300 };
  const breaker = (partnerId: string, probe: () => Promise<boolean> = async () => true) =>
    new CircuitBreaker(policy, storeFor(t.db, partnerId), probe);

  it('opens at the threshold of consecutive failures, not before; a success restarts the count', async () => {
    const b = breaker('p-threshold');
    expect(await b.recordFailure()).toBe(false);
    expect(await b.recordFailure()).toBe(false);
    expect(await b.recordSuccess()).toBe(false);
    expect((await readCircuit(t.db, 'p-threshold')).failures).toBe(0);
    expect(await b.recordFailure()).toBe(false);
    expect(await b.recordFailure()).toBe(false);
    expect(await b.recordFailure()).toBe(true);
    expect((await readCircuit(t.db, 'p-threshold')).state).toBe('open');
    const gate = await b.gate();
    expect(gate.kind).toBe('wait');
  });

  it('another worker sees it open, and after the cool-down exactly one of many wins the trial', async () => {
    const a = breaker('p-shared');
    for (let i = 0; i < 3; i++) await a.recordFailure();
    const others = Array.from({ length: 6 }, () => breaker('p-shared'));
    expect((await others[0]!.gate()).kind).toBe('wait');
    await waitFor(async () => ((await readCircuit(t.db, 'p-shared')).probeAt?.getTime() ?? 0) <= Date.now(), {
      what: 'cool-down',
    });
    const gates = await Promise.all(others.map((o) => o.gate()));
    expect(gates.filter((g) => g.kind === 'trial')).toHaveLength(1);
    expect(gates.filter((g) => g.kind === 'wait')).toHaveLength(5);
    expect((await readCircuit(t.db, 'p-shared')).state).toBe('half-open');
    const winner = others[gates.findIndex((g) => g.kind === 'trial')]!;
    expect(await winner.recordSuccess()).toBe(true);
    expect(await readCircuit(t.db, 'p-shared')).toMatchObject({ state: 'closed', failures: 0 });
    expect((await others[1]!.gate()).kind).toBe('pass');
  });

  it('a failed trial opens it again; a partner that does not answer the probe keeps it open', async () => {
    let answers = false;
    const b = breaker('p-reopen', async () => answers);
    for (let i = 0; i < 3; i++) await b.recordFailure();
    const due = () =>
      waitFor(async () => ((await readCircuit(t.db, 'p-reopen')).probeAt?.getTime() ?? 0) <= Date.now(), {
        what: 'cool-down',
      });
    await due();
    expect((await b.gate()).kind).toBe('wait');
    expect((await readCircuit(t.db, 'p-reopen')).state).toBe('open');
    answers = true;
    await due();
    expect((await b.gate()).kind).toBe('trial');
    expect(await b.recordFailure()).toBe(true);
    expect((await readCircuit(t.db, 'p-reopen')).state).toBe('open');
  });

  it('a trial given back (its job was stale) may be taken at once by the next delivery, not a cool-down later', async () => {
    const opener = breaker('p-release');
    for (let i = 0; i < 3; i++) await opener.recordFailure();
    // The trial's winner runs with a long cool-down: without giving it back, the next trial is a minute away.
    const first = new CircuitBreaker(
      { ...policy, cooldownMs: 60_000 },
      storeFor(t.db, 'p-release'),
      async () => true,
    );
    await waitFor(
      async () => ((await readCircuit(t.db, 'p-release')).probeAt?.getTime() ?? 0) <= Date.now(),
      { what: 'cool-down' },
    );
    expect((await first.gate()).kind).toBe('trial');
    await first.releaseTrial();
    expect((await breaker('p-release').gate()).kind).toBe('trial');
  });

  it('a trial whose worker died is taken over by another once the next cool-down passes', async () => {
    const dead = breaker('p-takeover');
    for (let i = 0; i < 3; i++) await dead.recordFailure();
    await waitFor(
      async () => ((await readCircuit(t.db, 'p-takeover')).probeAt?.getTime() ?? 0) <= Date.now(),
      { what: 'cool-down' },
    );
    expect((await dead.gate()).kind).toBe('trial'); // ... and its worker is SIGKILLed here
    const survivor = breaker('p-takeover');
    expect((await survivor.gate()).kind).toBe('wait');
    await waitFor(async () => (await survivor.gate()).kind === 'trial', { what: 'take-over of the trial' });
    expect(await survivor.recordSuccess()).toBe(true);
  });
});
