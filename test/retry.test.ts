import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, parseRetryAfter, withRetry } from '../src/http/retry.js';
import { VirtualClock } from '../src/util/clock.js';

describe('the retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-24T06:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter('Tue, 24 Nov 2026 06:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 05:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['4', '9'], now)).toBe(4000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off with full jitter, honours Retry-After, and stops after its attempts', async () => {
    const clock = new VirtualClock(0);
    const at: number[] = [];
    const failing = withRetry(
      async () => {
        at.push(clock.now());
        throw new Error('boom');
      },
      {
        policy: { attempts: 4, baseMs: 100, maxDelayMs: 1000, totalMs: 60_000 },
        clock,
        random: () => 1,
        classify: () => ({ retry: true, afterMs: at.length === 1 ? 5000 : undefined }),
      },
    );
    await expect(failing).rejects.toThrow('boom');
    expect(at).toEqual([0, 5000, 5200, 5600]);
  });

  it('never waits past its total time, and never retries what retrying cannot fix', async () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('slow down');
        },
        { policy: { ...DEFAULT_RETRY, totalMs: 10_000 }, clock, classify: () => ({ retry: true, afterMs: 30_000 }) },
      ),
    ).rejects.toThrow('slow down');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error('401');
        },
        { policy: DEFAULT_RETRY, clock, classify: () => ({ retry: false }) },
      ),
    ).rejects.toThrow('401');
    expect(calls).toBe(1);
  });

  it('stops at once when the call is cancelled', async () => {
    const clock = new VirtualClock(0);
    const ac = new AbortController();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          ac.abort();
          throw new Error('reset');
        },
        { policy: DEFAULT_RETRY, clock, signal: ac.signal, classify: () => ({ retry: true }) },
      ),
    ).rejects.toThrow('reset');
    expect(calls).toBe(1);
  });
});
