/**
 * Time as the poller, retries, progress and the simulator see it. Tests swap in
 * a virtual clock so a two-minute job is simulated in milliseconds.
 */
import { abortError } from '../errors.js';

export interface Clock {
  now(): number;
  /** Resolves after ms, or rejects with an `aborted` KlingError when signal fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls fn once, ms from now (it never keeps the process alive); returns what cancels it. */
  after(ms: number, fn: () => void): () => void;
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
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  after: (ms, fn) => {
    const timer = setTimeout(fn, Math.max(0, ms)).unref();
    return () => clearTimeout(timer);
  },
};

interface VirtualTimer {
  at: number;
  fn: () => void;
}

/**
 * A clock whose sleeps advance time at once; for deterministic polling tests.
 * Timers set with after() fire, in order, as a sleep carries time past them.
 */
export class VirtualClock implements Clock {
  private readonly timers: VirtualTimer[] = [];

  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError();
    const end = this.t + Math.max(0, ms);
    for (let due = this.timers[0]; due && due.at <= end; due = this.timers[0]) {
      this.timers.shift();
      this.t = Math.max(this.t, due.at);
      due.fn();
      // Let what the timer started (a notification in flight) land before time moves on.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw abortError();
    }
    this.t = Math.max(this.t, end);
    await Promise.resolve();
  }

  /** Timers set and not yet fired or cancelled; tests use it to prove a call leaves none behind. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + Math.max(0, ms), fn };
    // After the last timer due no later, so timers set for the same moment fire in the order they were set.
    const i = this.timers.findIndex((x) => x.at > timer.at);
    this.timers.splice(i < 0 ? this.timers.length : i, 0, timer);
    return () => {
      const j = this.timers.indexOf(timer);
      if (j >= 0) this.timers.splice(j, 1);
    };
  }
}

/** A signal that aborts ms from now on this clock (AbortSignal.timeout's, on any clock), and what stops it. */
export function timeoutOn(clock: Clock, ms: number): { signal: AbortSignal; stop: () => void } {
  const over = new AbortController();
  return { signal: over.signal, stop: clock.after(ms, () => over.abort()) };
}
