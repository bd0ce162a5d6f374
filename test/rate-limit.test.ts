import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/http/rate-limit.js';
import type { Clock } from '../src/util/clock.js';

/** A clock moved only by the test; `stall` jumps past many deadlines at once, as a blocked event loop does. */
class ManualClock implements Clock {
  t = 0;
  private sleepers: { at: number; resolve: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepers.push({ at: this.t + ms, resolve }));
  }
  after(): () => void {
    return () => undefined;
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.at <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    due.forEach((s) => s.resolve());
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

describe('the read rate limiter', () => {
  it('never grants two reads closer than 1/rate apart, even after a stall wakes every waiter late', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(10, clock);
    const grants: number[] = [];
    const waiting = Array.from({ length: 30 }, () => limiter.acquire().then(() => grants.push(clock.now())));
    await clock.advance(0);
    for (let step = 0; grants.length < 30 && step < 500; step++) await clock.advance(step % 7 === 0 ? 450 : 20);
    await Promise.all(waiting);
    for (let i = 1; i < grants.length; i++) expect(grants[i]! - grants[i - 1]!).toBeGreaterThanOrEqual(100);
  });

  it('a waiter whose call is cancelled leaves the queue at once and takes no slot', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(1, clock);
    await limiter.acquire();
    const ac = new AbortController();
    const cancelled = limiter.acquire(ac.signal);
    ac.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'aborted' });
  });
});
