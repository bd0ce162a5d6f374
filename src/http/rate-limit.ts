/**
 * Spaces upstream reads of all jobs of one process evenly, so a hundred waiting
 * calls do not stampede the API.
 */
import type { Clock } from '../util/clock.js';

export class RateLimiter {
  private next = 0;
  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.next);
    this.next = slot + 1000 / this.perSecond;
    if (slot > now) await this.clock.sleep(slot - now, signal);
  }
}
