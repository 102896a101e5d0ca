// Per-partner circuit breaker: after `failureThreshold` consecutive retryable failures the partner's
// queue is paused; every `cooldownMs` a probe tests the partner. A probe that answers only half-opens
// the breaker: the queue resumes and one delayed retry is let through as a trial. A successful real
// delivery closes it and promotes the other delayed retries; a failed one opens it again. (A partner
// whose metadata answers while its writes still fail must not burn every exchange's attempts.)
export interface BreakerActions {
  open(): Promise<void>;
  probe(): Promise<boolean>;
  /** Resume the queue and let one delayed job run now. */
  trial(): Promise<void>;
  /** Promote every delayed job. */
  close(): Promise<void>;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private stateValue: BreakerState = 'closed';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly policy: { failureThreshold: number; cooldownMs: number },
    private readonly actions: BreakerActions,
  ) {}

  get state(): BreakerState {
    return this.stateValue;
  }

  recordSuccess(): void {
    this.failures = 0;
    if (this.stateValue === 'half-open') {
      this.stateValue = 'closed';
      void this.actions.close().catch(() => {});
    }
  }

  recordFailure(): void {
    this.failures += 1;
    const reopen = this.stateValue === 'half-open';
    if (reopen || (this.stateValue === 'closed' && this.failures >= this.policy.failureThreshold)) {
      this.stateValue = 'open';
      void this.actions.open().catch(() => {});
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tryProbe(), this.policy.cooldownMs);
    this.timer.unref();
  }

  private async tryProbe(): Promise<void> {
    if (this.stateValue !== 'open') return;
    const ok = await this.actions.probe().catch(() => false);
    if (!ok) return this.schedule();
    this.stateValue = 'half-open';
    await this.actions.trial().catch(() => {});
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
