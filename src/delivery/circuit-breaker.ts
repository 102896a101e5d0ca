// A partner's circuit breaker, shared by every worker through PostgreSQL (src/store/circuits.ts):
// after `failureThreshold` consecutive retryable failures it opens and deliveries to the partner
// wait; once `cooldownMs` has passed, one worker wins the trial: it probes the partner and, if the
// partner answers, lets one delivery through. Its success closes the circuit; its failure opens it
// again. Nothing is ever paused: while open, the partner's queue is rate-limited for the time left
// (a Redis key that expires by itself), so a worker that dies with the circuit open leaves nothing
// stuck, and any other worker — or the sweeper — carries on.
import type { Circuit } from '../store/circuits.js';

export interface CircuitPolicy {
  failureThreshold: number;
  cooldownMs: number;
}

/** Where the circuit lives (src/store/circuits.ts bound to one partner). */
export interface CircuitStore {
  read(): Promise<Circuit>;
  recordFailure(policy: CircuitPolicy): Promise<Circuit & { opened: boolean }>;
  /** True when this success closed an open or half-open circuit. */
  recordSuccess(): Promise<boolean>;
  claimTrial(cooldownMs: number): Promise<boolean>;
  /** A trial won but not run (its job was stale): the next delivery may be the trial at once. */
  releaseTrial(): Promise<void>;
}

/** What a delivery may do now: go, go as the trial, or wait this long (the queue is rate-limited). */
export type Gate = { kind: 'pass' } | { kind: 'trial' } | { kind: 'wait'; ms: number };

/** A closed circuit read is trusted this long (another worker opening it is seen within this time). */
export const CIRCUIT_CACHE_MS = 1_000;
/** Someone else is running the trial: look again after this long at the most. */
const TRIAL_WAIT_MS = 1_000;

export class CircuitBreaker {
  private cached: { circuit: Circuit; at: number } | undefined;

  constructor(
    private readonly policy: CircuitPolicy,
    private readonly store: CircuitStore,
    /** Is the partner answering at all (GET metadata)? */
    private readonly probe: () => Promise<boolean>,
    private readonly clock: () => number = Date.now,
  ) {}

  private async circuit(): Promise<Circuit> {
    const now = this.clock();
    if (this.cached && this.cached.circuit.state === 'closed' && now - this.cached.at < CIRCUIT_CACHE_MS)
      return this.cached.circuit;
    const circuit = await this.store.read();
    this.cached = { circuit, at: now };
    return circuit;
  }

  /** Before a delivery: may it go? */
  async gate(): Promise<Gate> {
    const c = await this.circuit();
    if (c.state === 'closed') return { kind: 'pass' };
    const due = (c.probeAt?.getTime() ?? 0) - this.clock();
    if (due > 0) return { kind: 'wait', ms: due };
    if (!(await this.store.claimTrial(this.policy.cooldownMs)))
      return { kind: 'wait', ms: Math.min(TRIAL_WAIT_MS, this.policy.cooldownMs) };
    this.cached = undefined;
    if (await this.probe().catch(() => false)) return { kind: 'trial' };
    // The partner does not answer at all: open again for another cool-down.
    await this.store.recordFailure(this.policy);
    return { kind: 'wait', ms: this.policy.cooldownMs };
  }

  /** The trial this caller won did not run: another delivery may take it now. */
  async releaseTrial(): Promise<void> {
    this.cached = undefined;
    await this.store.releaseTrial();
  }

  /** A delivery reached the partner. True when it closed the circuit (delayed retries may go now). */
  async recordSuccess(): Promise<boolean> {
    const c = this.cached?.circuit;
    // The common case costs nothing: closed with no failures counted.
    if (c && c.state === 'closed' && c.failures === 0) return false;
    const closed = await this.store.recordSuccess();
    this.cached = undefined;
    return closed;
  }

  /** A retryable failure. True when it opened the circuit. */
  async recordFailure(): Promise<boolean> {
    const c = await this.store.recordFailure(this.policy);
    this.cached = { circuit: c, at: this.clock() };
    return c.opened;
  }
}
