/**
 * The one retry policy: exponential backoff with full jitter, honouring
 * Retry-After, bounded in attempts and total time. Callers decide what is
 * retryable (reads and downloads retry on 429/5xx/network faults; a submission
 * only when it provably never reached the server).
 */
import { KlingError } from '../errors.js';
import type { Clock } from '../util/clock.js';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxDelayMs: number;
  totalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 300, maxDelayMs: 8000, totalMs: 45_000 };

export interface RetryVerdict {
  retry: boolean;
  /** Server-requested wait (Retry-After), in ms. */
  afterMs?: number;
}

export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: {
    policy: RetryPolicy;
    clock: Clock;
    classify: (err: unknown) => RetryVerdict;
    signal?: AbortSignal;
    random?: () => number;
    onRetry?: (err: unknown, delayMs: number, attempt: number) => void;
  },
): Promise<T> {
  const { policy, clock, classify, signal } = opts;
  const random = opts.random ?? Math.random;
  const start = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const verdict = classify(err);
      if (!verdict.retry || attempt >= policy.attempts || signal?.aborted) throw err;
      const backoff = random() * Math.min(policy.maxDelayMs, policy.baseMs * 2 ** (attempt - 1));
      const delay = verdict.afterMs !== undefined ? Math.max(verdict.afterMs, backoff) : backoff;
      if (clock.now() - start + delay > policy.totalMs) throw err;
      opts.onRetry?.(err, delay, attempt);
      await clock.sleep(delay, signal);
    }
  }
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The verdict for errors that say themselves whether repeating can help (reads, cancels, downloads, waits). */
export function retryVerdictOf(err: unknown): RetryVerdict {
  if (!(err instanceof KlingError) || err.extra.retryable !== true) return { retry: false };
  return { retry: true, afterMs: err.extra.retryAfterS !== undefined ? err.extra.retryAfterS * 1000 : undefined };
}
