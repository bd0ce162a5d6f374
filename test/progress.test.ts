import { describe, expect, it } from 'vitest';
import { HEARTBEAT_MS, jobProgress, ProgressReporter, type ProgressUpdate } from '../src/polling/progress.js';
import { sight, startTimeline, type JobTimeline } from '../src/polling/timeline.js';
import type { Phase } from '../src/jobs/phase.js';
import { VirtualClock } from '../src/util/clock.js';

/** Progress on its own: one job's estimate from what was seen of it, and the reporter that sends a call's progress. */
const expected = { queueMs: 2000, runMs: 90_000 };
const seen = (tl: JobTimeline, phase: Phase, at: number, queuePosition?: number) => sight(tl, { status: phase, phase, at, queuePosition });

describe("a job's progress", () => {
  it('grows with time alone in every phase, never reaches 1 before the end, and is 1 once it ended', () => {
    let tl = seen(startTimeline(0), 'queued', 0, 3);
    let last = -1;
    for (let t = 0; t <= 10_000; t += 500) {
      const p = jobProgress(tl, expected, t);
      expect(p.fraction).toBeGreaterThan(last);
      expect(p.message).toMatch(/^queued \(queue position 3\) · \d+ s elapsed$/);
      last = p.fraction;
    }
    tl = seen(seen(tl, 'queued', 9000), 'running', 11_000);
    for (let t = 11_000; t <= 400_000; t += 5000) {
      const p = jobProgress(tl, expected, t);
      expect(p.fraction).toBeGreaterThan(last);
      expect(p.fraction).toBeLessThan(1);
      last = p.fraction;
    }
    expect(jobProgress(tl, expected, 60_000).message).toMatch(/^running · 60 s elapsed, about 40 s left$/);
    expect(jobProgress(tl, expected, 200_000).message).toMatch(/longer than the usual 90 s/);
    expect(jobProgress(seen(tl, 'completed', 400_000), expected, 400_000)).toMatchObject({ fraction: 1, message: 'completed · 400 s elapsed' });
  });

  it('a storyboard can take the mean of its shots: half done when one shot ended and the other is about to start', () => {
    const done = seen(startTimeline(0), 'completed', 50_000);
    const waiting = seen(startTimeline(0), 'queued', 0);
    const mean = (jobProgress(done, expected, 50_000).fraction + jobProgress(waiting, expected, 50_000).fraction) / 2;
    expect(mean).toBeGreaterThanOrEqual(0.5);
    expect(mean).toBeLessThan(0.53);
  });
});

describe('the progress reporter', () => {
  function reporter(estimate: () => { fraction: number; message: string }) {
    const clock = new VirtualClock(0);
    const sent: (ProgressUpdate & { at: number })[] = [];
    const r = new ProgressReporter((p) => void sent.push({ ...p, at: clock.now() }), clock, estimate);
    return { clock, sent, r };
  }

  it('sends on every report and, between reports, at least every heartbeat; always higher, even when the estimate stands still', async () => {
    const { clock, sent, r } = reporter(() => ({ fraction: 0.4, message: 'still' }));
    await r.report();
    await clock.sleep(12_000);
    await r.report();
    await clock.sleep(HEARTBEAT_MS - 1);
    expect(sent.map((s) => s.at)).toEqual([0, 5000, 10_000, 12_000]);
    await clock.sleep(1);
    expect(sent).toHaveLength(5);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.progress).toBeGreaterThan(sent[i - 1]!.progress);
    expect(Math.max(...sent.map((s) => s.progress))).toBeLessThan(100);
  });

  it('starts its heartbeat when made, so a slow first answer is not silent', async () => {
    const { clock, sent } = reporter(() => ({ fraction: 0, message: 'waiting' }));
    await clock.sleep(HEARTBEAT_MS);
    expect(sent).toMatchObject([{ at: HEARTBEAT_MS, message: 'waiting' }]);
  });

  it('says 100 once, when done, and nothing after that or after stop()', async () => {
    let fraction = 0.5;
    const { clock, sent, r } = reporter(() => ({ fraction, message: 'x' }));
    await r.report();
    fraction = 1;
    await r.report();
    await r.report();
    await clock.sleep(60_000);
    expect(sent.map((s) => s.progress)).toEqual([50, 100]);
    expect(clock.pendingTimers).toBe(0);

    const other = reporter(() => ({ fraction: 0.1, message: 'y' }));
    await other.r.report();
    other.r.stop();
    await other.r.report();
    await other.clock.sleep(60_000);
    expect(other.sent).toHaveLength(1);
    expect(other.clock.pendingTimers).toBe(0);
  });
});
