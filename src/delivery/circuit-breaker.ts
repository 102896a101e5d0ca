// Per-partner circuit breaker: after `failureThreshold` consecutive retryable failures the partner's
// queue is paused; every `cooldownMs` a probe tests the partner; when it answers, the queue resumes
// and delayed retries are promoted so recovery does not wait out long backoffs.
export interface BreakerActions {
  open(): Promise<void>;
  probe(): Promise<boolean>;
  close(): Promise<void>;
}

export type BreakerState = 'closed' | 'open';

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
  }

  recordFailure(): void {
    this.failures += 1;
    if (this.stateValue === 'closed' && this.failures >= this.policy.failureThreshold) {
      this.stateValue = 'open';
      void this.actions.open().catch(() => {});
      this.schedule();
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.tryProbe(), this.policy.cooldownMs);
    this.timer.unref();
  }

  private async tryProbe(): Promise<void> {
    if (this.stateValue !== 'open') return;
    const ok = await this.actions.probe().catch(() => false);
    if (!ok) return this.schedule();
    this.stateValue = 'closed';
    this.failures = 0;
    await this.actions.close().catch(() => {});
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
