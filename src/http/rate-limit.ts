/**
 * Spaces upstream reads of all jobs of one process evenly, so a hundred waiting
 * calls do not stampede the API. Waiters are served in order by one pump, and
 * each grant is stamped with the time it is actually given: a busy event loop
 * that wakes late delays the next grant instead of releasing a burst of
 * grants whose slots have passed.
 */
import { abortError } from '../errors.js';
import type { Clock } from '../util/clock.js';

interface Waiter {
  resolve: () => void;
  signal?: AbortSignal;
}

export class RateLimiter {
  private readonly intervalMs: number;
  private last = -Infinity;
  private readonly queue: Waiter[] = [];
  private pumping = false;

  constructor(
    perSecond: number,
    private readonly clock: Clock,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, signal };
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortError());
        },
        { once: true },
      );
      this.queue.push(waiter);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const wait = this.last + this.intervalMs - this.clock.now();
        if (wait > 0) await this.clock.sleep(wait);
        const next = this.queue.shift();
        if (!next) break;
        this.last = this.clock.now();
        next.resolve();
      }
    } finally {
      this.pumping = false;
    }
  }
}
