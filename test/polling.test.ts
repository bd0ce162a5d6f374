import { CallToolResultSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect } from 'vitest';
import { loadConfig } from '../src/config.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { VirtualClock } from '../src/util/clock.js';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { call, textOf, type Connected } from './helpers.js';
import { labTest } from './lab.js';

/**
 * Smart polling and progress on a virtual clock shared by the simulator and
 * the server: a two-minute job takes milliseconds, and requests and delays are
 * read from the simulator's own log. test/schedule.test.ts proves the schedule
 * alone; this checks the server keeps it. The bench prints the figures.
 */
const DEFAULTS = { KLING_MCP_POLL_QUEUE_MS: undefined, KLING_MCP_POLL_NEAR_MS: undefined, KLING_MCP_POLL_MAX_MS: undefined, KLING_MCP_UPSTREAM_RPS: undefined };

interface Lab {
  sim: RunComfySimulator;
  shared: Connected;
  frames: { start: string; end: string };
}

async function runJob({ sim, shared, frames }: Lab, queueMs: number, runMs: number, onprogress?: (p: Progress) => void) {
  sim.planNext({ queueMs, runMs });
  const r = await call(
    shared.client,
    'generate_video',
    { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 900 },
    onprogress,
  );
  expect(r.structuredContent?.status, textOf(r)).toBe('completed');
  const id = r.structuredContent!.request_id as string;
  const polls = sim.requests.filter((q) => q.route === 'status' && q.path.includes(id));
  const finish = sim.finishTime(id)!;
  return { requests: polls.length, lagMs: polls.find((q) => q.at >= finish)!.at - finish };
}

// The default schedule; the expected run time is what the ledger learns (or the user sets) for these jobs.
const polling = labTest({ clock: new VirtualClock(), env: { ...DEFAULTS, KLING_MCP_EXPECTED_RUN_S: '5:114' } });
const progressClock = new VirtualClock();
const waiting = labTest({ clock: progressClock, env: { ...DEFAULTS, KLING_MCP_EXPECTED_RUN_S: '5:90' } });

describe('adaptive polling', () => {
  const it = polling;

  it('a 120 s job at the expected time: ≤ 30 status requests, seen within a second', async ({ sim, shared, frames }) => {
    const lab = { sim, shared, frames };
    const r = await runJob(lab, 6000, 114_000);
    expect(r.requests).toBeLessThanOrEqual(30);
    expect(r.lagMs).toBeLessThanOrEqual(1000);
  });

  it('jobs of 0.25× to 4× the expected time, briefly or long queued, are seen within max(1 s, 10 % of their run time)', async ({ sim, shared, frames }) => {
    const lab = { sim, shared, frames };
    const { jobs } = await lab.shared.app.upstream();
    for (const queueMs of [6000, 75_000]) {
      for (const f of [0.25, 0.5, 1, 2, 4]) {
        // The expectation moves as the ledger learns from these very jobs: each run is planned against the current one.
        const runMs = Math.round(f * (await jobs.expectedRunMs(DEFAULT_MODEL.id, 5)));
        const r = await runJob(lab, queueMs, runMs);
        expect(r.lagMs, `queued ${queueMs} ms, run ${runMs} ms`).toBeLessThanOrEqual(Math.max(1000, 0.1 * runMs));
      }
    }
  });

  it('learns the expected run time from the jobs it has seen', async ({ sim, shared, frames }) => {
    const lab = { sim, shared, frames };
    const { jobs } = await lab.shared.app.upstream();
    for (let i = 0; i < 7; i++) await runJob(lab, 3000, 100_000 + i * 1000);
    // It expects the median of the last ten runs as its polls saw them: seven of those were 100–106 s.
    const learned = await jobs.expectedRunMs(DEFAULT_MODEL.id, 5);
    expect(learned).toBeGreaterThan(95_000);
    expect(learned).toBeLessThan(125_000);
    expect(await jobs.expectedRunMs(DEFAULT_MODEL.id, 10)).toBe(loadConfig({}).poll.expectedRunMs[DEFAULT_MODEL.id]![10]);
  });
});

describe('progress while a call waits', () => {
  const clock = progressClock;
  const strays: Error[] = [];
  const it = waiting;

  it.beforeAll(({ shared }) => {
    // A progress notification after the call's answer reaches the client as an unknown token.
    shared.client.onerror = (err) => strays.push(err);
  });

  it('comes at least every 5 s, strictly increasing, says elapsed time, and stops with the answer', async ({ sim, shared, frames }) => {
    const lab = { sim, shared, frames };
    const seen: { at: number; p: Progress }[] = [];
    const t0 = clock.now();
    await runJob(lab, 20_000, 100_000, (p) => seen.push({ at: clock.now(), p }));
    const times = [t0, ...seen.map((s) => s.at)];
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(5000);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.p.progress).toBeGreaterThan(seen[i - 1]!.p.progress);
    expect(seen.at(-1)!.p.progress).toBe(100);
    expect(seen.some((s) => /in_queue.*s elapsed/.test(s.p.message ?? ''))).toBe(true);
    expect(seen.some((s) => /in_progress · \d+ s elapsed, about \d+ s left/.test(s.p.message ?? ''))).toBe(true);
    await clock.sleep(60_000);
    expect(strays).toEqual([]);
  });

  it('stops with the answer of a call that ends before its job does', async ({ sim, shared, frames }) => {
    sim.planNext({ queueMs: 2000, runMs: 100_000 });
    let count = 0;
    const r = await call(
      shared.client,
      'generate_video',
      { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 30 },
      () => count++,
    );
    expect(r.structuredContent?.status, textOf(r)).toBe('in_progress');
    expect(count).toBeGreaterThanOrEqual(6);
    expect(clock.pendingTimers).toBe(0);
    await clock.sleep(60_000);
    expect(strays).toEqual([]);
  });

  it('stops the moment the client cancels the call', async ({ sim, shared, frames }) => {
    sim.planNext({ queueMs: 2000, runMs: 100_000 });
    const cancel = new AbortController();
    let after = 0;
    const pending = shared.client.callTool(
      { name: 'generate_video', arguments: { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 900 } },
      CallToolResultSchema,
      {
        signal: cancel.signal,
        onprogress: (p) => {
          if (cancel.signal.aborted) after++;
          else if (Number(/(\d+) s elapsed/.exec(p.message ?? '')?.[1]) >= 30) cancel.abort();
        },
      },
    );
    await expect(pending).rejects.toThrow();
    await clock.sleep(60_000);
    expect(clock.pendingTimers).toBe(0);
    expect(after).toBe(0);
    expect(strays).toEqual([]);
  });
});
