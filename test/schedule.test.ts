import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { delayAfter, nextPollDelay } from '../src/polling/schedule.js';
import { sight, startTimeline, type StatusSnapshot } from '../src/polling/timeline.js';
import type { Phase } from '../src/jobs/phase.js';

/**
 * The polling schedule proven from the schedule alone: a job (queued for
 * queueMs, then running for runMs) is polled the way the waiter polls it (the
 * same timeline and delay functions), and the lag between its finish and the
 * poll that sees it is computed exactly. No server, no clock.
 */
const cfg = loadConfig({}).poll;

interface Job {
  queueMs: number;
  runMs: number;
}

function phaseAt(job: Job, t: number): Phase {
  return t < job.queueMs ? 'queued' : t < job.queueMs + job.runMs ? 'running' : 'completed';
}

/**
 * Polls a job submitted at 0 until it completes, in waits of at most budgetMs
 * each (a new call starts right after one runs out), carrying the state
 * changes from one wait to the next as the ledger does.
 */
function pollJob(job: Job, expectedRunMs: number, budgetMs = Infinity): { requests: number; lagMs: number } {
  const changes: StatusSnapshot[] = [];
  let t = 0;
  let requests = 0;
  for (;;) {
    let tl = startTimeline(0, changes);
    const deadline = t + budgetMs;
    for (;;) {
      const phase = phaseAt(job, t);
      const snap = { status: phase, phase, at: t };
      requests++;
      if (changes.at(-1)?.phase !== phase) changes.push(snap);
      tl = sight(tl, snap);
      if (phase === 'completed') return { requests, lagMs: t - job.queueMs - job.runMs };
      if (t >= deadline) break;
      t = Math.min(deadline, t + delayAfter(tl, expectedRunMs, t, cfg));
    }
  }
}

/** The goal: seen within max(1 s, 10 % of the run time). */
const allowedLag = (runMs: number) => Math.max(cfg.nearMs, 0.1 * runMs);

describe('the polling schedule', () => {
  const expectations = [30_000, 90_000, 114_000, 150_000];
  const factors = [0.25, 0.5, 1, 2, 4];

  it.each(expectations)('expecting %i ms: jobs of 0.25× to 4× that are seen within max(1 s, 10 % of their run time)', (expected) => {
    for (const queueMs of [0, 0.05 * expected, 60_000]) {
      for (const f of factors) {
        const job = { queueMs, runMs: f * expected };
        expect(pollJob(job, expected).lagMs, JSON.stringify(job)).toBeLessThanOrEqual(allowedLag(job.runMs));
      }
    }
  });

  it('the same for random run times, queue times and expectations, also across calls that run out of time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10_000, max: 300_000 }),
        fc.double({ min: 0.25, max: 4, noNaN: true }),
        fc.integer({ min: 0, max: 180_000 }),
        fc.constantFrom(Infinity, 50_000, 20_000),
        (expected, f, queueMs, budgetMs) => {
          const job = { queueMs, runMs: f * expected };
          return pollJob(job, expected, budgetMs).lagMs <= allowedLag(job.runMs) + 1e-6;
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a 120 s job (6 s queued) at its expectation costs at most 30 status requests; within ±6 % of it, too', () => {
    const expected = 114_000;
    expect(pollJob({ queueMs: 6000, runMs: expected }, expected).requests).toBeLessThanOrEqual(30);
    for (let f = -0.06; f <= 0.06; f += 0.005) {
      expect(pollJob({ queueMs: 6000, runMs: expected * (1 + f) }, expected).requests, `${f}`).toBeLessThanOrEqual(30);
    }
  });

  it('near its expectation a job is seen within about a second', () => {
    const expected = 114_000;
    const lags = [-2500, -1500, -700, 0, 400, 1300, 2200].map((d) => pollJob({ queueMs: 6000, runMs: expected + d }, expected).lagMs);
    expect(lags.sort((a, b) => a - b)[3]).toBeLessThanOrEqual(cfg.nearMs);
  });

  it('backs off while queued, but not past what a short run needs, and never polls sooner than nearMs or later than maxMs', () => {
    const queued = (pollsInPhase: number, expectedRunMs = 90_000, queuePosition?: number) =>
      nextPollDelay({ phase: 'queued', pollsInPhase, runningForMs: 0, startSlackMs: 0, expectedRunMs, queuePosition }, cfg);
    const backoff = [0, 1, 2, 3, 4, 5, 6].map((n) => queued(n));
    for (let i = 1; i < backoff.length; i++) expect(backoff[i]).toBeGreaterThanOrEqual(backoff[i - 1]!);
    expect(backoff[0]).toBe(cfg.queueMinMs);
    expect(Math.max(...backoff)).toBe(cfg.queueMaxMs);
    expect(queued(0, 90_000, 40)).toBe(cfg.queueMaxMs);
    // Expecting 20 s, a 5 s run between two queue polls must be seen within 10 %.
    expect(queued(9, 20_000)).toBeLessThanOrEqual(1.1 * 5000);
    for (let t = 0; t < 600_000; t += 777) {
      const d = nextPollDelay({ phase: 'running', pollsInPhase: 1, runningForMs: t, startSlackMs: t % 9000, expectedRunMs: 90_000 }, cfg);
      expect(d).toBeGreaterThanOrEqual(cfg.nearMs);
      expect(d).toBeLessThanOrEqual(cfg.maxMs);
    }
  });
});
