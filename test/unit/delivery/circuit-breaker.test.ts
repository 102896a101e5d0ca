import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from '../../../src/delivery/circuit-breaker.js';

/** Fake actions recording calls; `probes` answers the probes in turn (last answer repeats). */
function fakeActions(probes: boolean[] = [true]) {
  const calls: string[] = [];
  let i = 0;
  return {
    calls,
    actions: {
      open: async () => {
        calls.push('open');
      },
      probe: async () => {
        const ok = probes[Math.min(i++, probes.length - 1)] ?? true;
        calls.push(ok ? 'probe-ok' : 'probe-fail');
        return ok;
      },
      trial: async () => {
        calls.push('trial');
      },
      close: async () => {
        calls.push('close');
      },
    },
  };
}

describe('CircuitBreaker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens after the threshold of consecutive failures, not before', () => {
    const { calls, actions } = fakeActions();
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000 }, actions);
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed');
    expect(calls).toEqual([]);
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(calls).toEqual(['open']);
    b.recordFailure();
    expect(calls).toEqual(['open']);
    b.stop();
  });

  it('a success resets the count of consecutive failures', () => {
    const { calls, actions } = fakeActions();
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000 }, actions);
    b.recordFailure();
    b.recordFailure();
    b.recordSuccess();
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(calls).toEqual(['open']);
    b.stop();
  });

  it('probes only after the cooldown; a good probe half-opens it for one trial, whose success closes it', async () => {
    const { calls, actions } = fakeActions([true]);
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000 }, actions);
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toEqual(['open']);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['open', 'probe-ok', 'trial']);
    expect(b.state).toBe('half-open');
    b.recordSuccess();
    expect(b.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual(['open', 'probe-ok', 'trial', 'close']);
  });

  it('a failed trial opens it again without promoting the other retries', async () => {
    const { calls, actions } = fakeActions([true, true]);
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 100 }, actions);
    b.recordFailure();
    b.recordFailure();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100);
    expect(b.state).toBe('half-open');
    b.recordFailure();
    expect(b.state).toBe('open');
    await vi.advanceTimersByTimeAsync(100);
    b.recordSuccess();
    expect(calls).toEqual(['open', 'probe-ok', 'trial', 'open', 'probe-ok', 'trial', 'close']);
    expect(b.state).toBe('closed');
  });

  it('stays open while probes fail, probing again every cooldown', async () => {
    const { calls, actions } = fakeActions([false, false, true]);
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 500 }, actions);
    b.recordFailure();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(500);
    expect(b.state).toBe('open');
    await vi.advanceTimersByTimeAsync(500);
    expect(b.state).toBe('open');
    expect(calls).toEqual(['open', 'probe-fail', 'probe-fail']);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toEqual(['open', 'probe-fail', 'probe-fail', 'probe-ok', 'trial']);
    expect(b.state).toBe('half-open');
    b.recordSuccess();
    expect(b.state).toBe('closed');
  });

  it('a probe that throws counts as failed', async () => {
    const { calls, actions } = fakeActions();
    let n = 0;
    const b = new CircuitBreaker(
      { failureThreshold: 1, cooldownMs: 100 },
      {
        ...actions,
        probe: async () => {
          n += 1;
          if (n === 1) throw new Error('boom');
          return true;
        },
      },
    );
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100);
    expect(b.state).toBe('open');
    await vi.advanceTimersByTimeAsync(100);
    expect(b.state).toBe('half-open');
    expect(calls).toEqual(['open', 'trial']);
  });

  it('after closing, it needs the full threshold again to reopen', async () => {
    const { calls, actions } = fakeActions([true]);
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100 }, actions);
    b.recordFailure();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100);
    b.recordSuccess();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(calls).toEqual(['open', 'probe-ok', 'trial', 'close', 'open']);
    b.stop();
  });

  it('stop() cancels a pending probe', async () => {
    const { calls, actions } = fakeActions([true]);
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100 }, actions);
    b.recordFailure();
    b.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual(['open']);
  });
});
