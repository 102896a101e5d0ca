// Keeps a claim's PostgreSQL lease alive while its delivery runs (as BullMQ's LockManager keeps job
// locks): renewed at a third of its length, so a slow partner never makes a live worker's claim look
// abandoned, and a lost claim is noticed (the outcome is then not recorded).
export interface LeaseRenewal {
  /** Extends the lease; false when the claim was lost (expired and taken over). */
  renew(): Promise<boolean>;
}

/** The shortest renewal interval, whatever the lease (bounds database load for tiny leases). */
export const MIN_RENEW_INTERVAL_MS = 500;

export class LeaseHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private lostValue = false;

  constructor(
    private readonly lease: LeaseRenewal,
    private readonly leaseMs: number,
  ) {}

  /** Whether a renewal found the claim gone. */
  get lost(): boolean {
    return this.lostValue;
  }

  start(): this {
    const every = Math.max(MIN_RENEW_INTERVAL_MS, Math.floor(this.leaseMs / 3));
    this.timer = setInterval(() => {
      this.lease.renew().then(
        (held) => {
          if (!held) this.lostValue = true;
        },
        // A database blip: the next renewal tries again; the lease outlives a few misses.
        () => {},
      );
    }, every);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
