/**
 * Time as the poller, retries and the simulator see it. Tests swap in a virtual
 * clock so a two-minute job is simulated in milliseconds.
 */
import { abortError } from '../errors.js';

export interface Clock {
  now(): number;
  /** Resolves after ms, or rejects with an `aborted` KlingError when signal fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A clock whose sleeps advance time at once; for deterministic polling tests. */
export class VirtualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError();
    this.t += Math.max(0, ms);
    await Promise.resolve();
  }
}
