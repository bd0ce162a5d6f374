import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { nextPollDelay } from '../src/polling/schedule.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, keyframes, textOf } from './helpers.js';
import { useLab } from './lab.js';

/**
 * Smart polling on a virtual clock shared by the simulator and the server: a
 * two-minute job takes milliseconds, and requests and delays are read from the
 * simulator's own log. The goal (≤ 30 status requests for a 120 s job, median
 * detection delay ≤ 1 s) is checked here with tolerance; the bench prints the figures.
 */
describe('adaptive polling', () => {
  const clock = new VirtualClock();
  // Default schedule; the expected run time is what the ledger learns (or the user sets) for these jobs.
  const lab = useLab({
    clock,
    env: {
      KLING_MCP_POLL_QUEUE_MS: undefined,
      KLING_MCP_POLL_NEAR_MS: undefined,
      KLING_MCP_POLL_MAX_MS: undefined,
      KLING_MCP_UPSTREAM_RPS: undefined,
      KLING_MCP_EXPECTED_RUN_S: '5:114',
    },
  });
  let frames: { start: string; end: string };

  beforeAll(async () => {
    frames = await keyframes(lab.sim);
  });

  async function runJob(queueMs: number, runMs: number): Promise<{ requests: number; delayMs: number }> {
    lab.sim.planNext({ queueMs, runMs });
    const r = await call(lab.c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 900 });
    expect(r.structuredContent?.status, textOf(r)).toBe('completed');
    const id = r.structuredContent!.request_id as string;
    const polls = lab.sim.requests.filter((q) => q.route === 'status' && q.path.includes(id));
    const finish = lab.sim.finishTime(id)!;
    const seen = polls.find((q) => q.at >= finish)!;
    return { requests: polls.length, delayMs: seen.at - finish };
  }

  it('120 s jobs around the expected time: ≤ 30 status requests each, median detection delay ≤ 1 s', async () => {
    const results = [];
    for (const offset of [-5000, -2500, -700, 0, 1300, 3100, 5200]) results.push(await runJob(6000, 114_000 + offset));
    const delays = results.map((r) => r.delayMs).sort((a, b) => a - b);
    for (const r of results) expect(r.requests).toBeLessThanOrEqual(30);
    expect(delays[Math.floor(delays.length / 2)]).toBeLessThanOrEqual(1000);
  });

  it('a job 30 s later than expected costs little more and is still seen within a few seconds', async () => {
    const r = await runJob(6000, 144_000);
    expect(r.requests).toBeLessThanOrEqual(35);
    expect(r.delayMs).toBeLessThanOrEqual(8000);
  });

  it('the schedule backs off while queued and never exceeds its cap', () => {
    const cfg = loadConfig({}).poll;
    const queued = [0, 1, 2, 3, 4, 5, 6].map((n) => nextPollDelay({ phase: 'queued', pollsInPhase: n, runningForMs: 0, expectedRunMs: 90_000 }, cfg));
    for (let i = 1; i < queued.length; i++) expect(queued[i]).toBeGreaterThanOrEqual(queued[i - 1]!);
    expect(queued[0]).toBe(cfg.queueMinMs);
    expect(Math.max(...queued)).toBe(cfg.queueMaxMs);
    expect(nextPollDelay({ phase: 'queued', pollsInPhase: 0, runningForMs: 0, expectedRunMs: 90_000, queuePosition: 40 }, cfg)).toBe(cfg.queueMaxMs);
    for (let t = 0; t < 600_000; t += 777) {
      const d = nextPollDelay({ phase: 'running', pollsInPhase: 1, runningForMs: t, expectedRunMs: 90_000 }, cfg);
      expect(d).toBeGreaterThanOrEqual(cfg.nearMs);
      expect(d).toBeLessThanOrEqual(cfg.maxMs);
    }
  });

  it('learns the expected run time from the jobs it has seen', async () => {
    const { jobs } = await lab.c.app.upstream();
    // The jobs above ran 109–144 s; the median of those is what it now expects for 5 s clips.
    expect(jobs.expectedRunMs(5)).toBeGreaterThan(105_000);
    expect(jobs.expectedRunMs(5)).toBeLessThan(125_000);
    expect(jobs.expectedRunMs(10)).toBe(loadConfig({}).poll.expectedRunMs[10]);
  });
});
