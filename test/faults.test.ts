import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Fault, RunComfySimulator } from '../src/simulator/simulator.js';
import { call, until, connectInMemory, image, simEnv, startSim, tempDir, textOf, type Connected } from './helpers.js';

/**
 * Fault injection against the simulator. Images are served by a second
 * simulator instance, so an outage of the API does not touch pre-flight.
 * Every job either completes or reports a clear error, and every call costs
 * exactly one submission (or none, when it was refused).
 */
describe('faults upstream', () => {
  let sim: RunComfySimulator;
  let files: RunComfySimulator;
  let c: Connected;
  let tmp: ReturnType<typeof tempDir>;
  let args: { prompt: string; start_image_url: string; end_image_url: string };

  beforeAll(async () => {
    sim = await startSim();
    files = await startSim();
    tmp = tempDir();
    c = await connectInMemory(simEnv(sim, tmp.dir, { KLING_MCP_HTTP_TIMEOUT_S: '1' }));
    args = {
      prompt: 'faults',
      start_image_url: files.host('s.png', await image(640, 360)),
      end_image_url: files.host('e.png', await image(640, 360, 'png', '#cc8800')),
    };
  });
  afterAll(async () => {
    await c.close();
    await sim.stop();
    await files.stop();
    tmp.cleanup();
  });

  /** Runs generate_video with faults armed; returns the result and how many jobs it created upstream. */
  async function generate(faults: Fault[], extra: Record<string, unknown> = {}) {
    sim.clearFaults();
    faults.forEach((f) => sim.inject(f));
    const before = sim.submissions;
    const posts = sim.count('submit');
    const r = await call(c.client, 'generate_video', { ...args, wait_seconds: 30, ...extra });
    sim.clearFaults();
    return { r, created: sim.submissions - before, posts: sim.count('submit') - posts };
  }

  const recovers: [string, Fault[]][] = [
    ['a 429 storm with Retry-After on status', [{ route: 'status', status: 429, headers: { 'retry-after': '1' }, times: 3 }]],
    [
      '503 bursts on status and result',
      [
        { route: 'status', status: 503, times: 3 },
        { route: 'result', status: 503, times: 2 },
      ],
    ],
    ['connections reset mid-body', [{ route: 'status', reset: 'mid-body', times: 2 }]],
    [
      'connections reset before headers',
      [
        { route: 'status', reset: 'before-headers', times: 2 },
        { route: 'result', reset: 'before-headers' },
      ],
    ],
    ['slow headers beyond the timeout', [{ route: 'status', delayMs: 1500, status: 200, body: '{"status":"in_queue"}', times: 2 }]],
    [
      'garbled JSON',
      [
        { route: 'status', status: 200, body: 'not json{', times: 2 },
        { route: 'result', status: 200, body: '<html>', times: 1 },
      ],
    ],
    ['an answer of the wrong shape', [{ route: 'status', status: 200, body: '{"state":"x"}', times: 2 }]],
    ['an unknown, non-terminal state', [{ route: 'status', status: 200, body: '{"status":"warming_up"}', times: 3 }]],
    ['a 502 on the result download', [{ route: 'output', status: 502, times: 2 }]],
  ];
  it.each(recovers)('%s: the job completes, one submission', async (_name, faults) => {
    const { r, created, posts } = await generate(faults);
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent!.status).toBe('completed');
    expect(r.structuredContent!.files).toHaveLength(1);
    expect(created).toBe(1);
    expect(posts).toBe(1);
  });

  it('honours Retry-After: no status request comes sooner than it asked', async () => {
    const { r } = await generate([{ route: 'status', status: 429, headers: { 'retry-after': '1' }, times: 2 }]);
    const polls = sim.requests.filter((q) => q.route === 'status' && q.path.includes(r.structuredContent!.request_id));
    for (let i = 1; i < polls.length; i++) {
      if (polls[i - 1]!.status === 429) expect(polls[i]!.at - polls[i - 1]!.at).toBeGreaterThanOrEqual(950);
    }
  });

  it('the simulator restarted while jobs are polled: they complete', async () => {
    sim.planNext({ queueMs: 200, runMs: 1500 }, { queueMs: 200, runMs: 1500 });
    const pending = [call(c.client, 'generate_video', { ...args, wait_seconds: 30 }), call(c.client, 'generate_video', { ...args, wait_seconds: 30 })];
    await new Promise((r) => setTimeout(r, 400));
    await sim.restart(1200);
    for (const r of await Promise.all(pending)) {
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(r.structuredContent!.status).toBe('completed');
    }
  });

  it('an outage longer than the retries does not end the wait while the budget lasts', async () => {
    sim.planNext({ queueMs: 0, runMs: 400 });
    const { r, created } = await generate([{ route: 'status', status: 503, times: 9 }]);
    expect(r.structuredContent?.status, textOf(r)).toBe('completed');
    expect(created).toBe(1);
  });

  it('status reads that keep hanging cannot hold the call past its wait: it answers in time, naming the job', async () => {
    sim.planNext({ queueMs: 0, runMs: 60_000 });
    const t0 = Date.now();
    const { r, created } = await generate([{ route: 'status', delayMs: 1500, status: 200, body: '{"status":"in_progress"}', times: 100 }], { wait_seconds: 3 });
    expect(Date.now() - t0).toBeLessThan(9000);
    expect(created).toBe(1);
    const id = [...sim.jobs.keys()].at(-1)!;
    expect(textOf(r)).toContain(id);
    expect(r).toBeToolError('upstream_unavailable');
  });

  it('connection refused at submission: sent again (it never arrived), exactly one job', async () => {
    const restarting = sim.restart(700);
    const { r, created } = await generate([]);
    await restarting;
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(created).toBe(1);
  });

  it('a reset after the submission was processed: outcome unknown, never sent twice, recorded', async () => {
    const { r, created, posts } = await generate([{ route: 'submit', reset: 'before-headers', afterProcessing: true }]);
    expect(r).toBeToolError('submit_outcome_unknown');
    expect(textOf(r)).toMatch(/unknown whether RunComfy accepted/);
    expect(created).toBe(1);
    expect(posts).toBe(1);
    const unknown = await call(c.client, 'list_jobs', { status: 'outcome_unknown' });
    expect(unknown.structuredContent!.total).toBeGreaterThanOrEqual(1);
    expect(unknown.structuredContent!.jobs[0]).toMatchObject({ outcome_unknown: true, prompt: 'faults' });
  });

  it('a 502 from a gateway after the submission was processed: outcome unknown, not sent twice', async () => {
    const { r, created, posts } = await generate([{ route: 'submit', status: 502, afterProcessing: true }]);
    expect(r).toBeToolError('submit_outcome_unknown');
    expect(created).toBe(1);
    expect(posts).toBe(1);
  });

  it('a 500 or 429 refusing the submission: a clear error, nothing created, not retried', async () => {
    const a = await generate([{ route: 'submit', status: 500 }]);
    expect(a.r).toBeToolError('upstream_unavailable');
    expect(a.created).toBe(0);
    expect(a.posts).toBe(1);
    const b = await generate([{ route: 'submit', status: 429, headers: { 'retry-after': '30' } }]);
    expect(b.r).toBeToolError('rate_limited');
    expect(textOf(b.r)).toMatch(/Try again in 30 s/);
    expect(b.r._meta?.['kling-o1-mcp/error']).toMatchObject({ retry_after_s: 30 });
    expect(b.created).toBe(0);
    expect(b.posts).toBe(1);
  });

  it('RunComfy rejecting the input: its own message, nothing created', async () => {
    const { r, created } = await generate([{ route: 'submit', status: 422, body: JSON.stringify({ detail: [{ msg: 'prompt violates content policy' }] }) }]);
    expect(r).toBeToolError('upstream_validation');
    expect(textOf(r)).toContain('prompt violates content policy');
    expect(created).toBe(0);
  });

  it('insufficient credits are named as such', async () => {
    const { r } = await generate([{ route: 'submit', status: 402, body: JSON.stringify({ detail: 'Insufficient credits' }) }]);
    expect(r).toBeToolError('insufficient_credits');
    expect(textOf(r)).toMatch(/Top up/);
  });

  it('a job that fails upstream, or ends in an unknown terminal-looking state, is reported as a failure, not a crash', async () => {
    sim.planNext({ queueMs: 0, runMs: 300, failWith: { status: 'failed', error: 'content moderation rejected the frames' } });
    const a = await generate([]);
    expect(a.r.isError).toBe(true);
    expect(a.r.structuredContent).toMatchObject({ status: 'failed', done: true, error: 'content moderation rejected the frames' });
    sim.planNext({ queueMs: 0, runMs: 300, failWith: { status: 'timed_out', error: '' } });
    const b = await generate([]);
    expect(b.r.isError).toBe(true);
    expect(b.r.structuredContent).toMatchObject({ status: 'timed_out', done: true });
    expect(textOf(b.r)).toMatch(/failed/);
  });

  it('an unknown request_id is named, with where to find known ones', async () => {
    const r = await call(c.client, 'check_status', { request_id: 'no-such-request' });
    expect(r).toBeToolError('not_found');
    expect(textOf(r)).toMatch(/list_jobs/);
  });

  it('polling errors after submission keep the request_id in the answer', async () => {
    sim.planNext({ queueMs: 0, runMs: 5000 });
    const { r } = await generate([{ route: 'status', status: 401, times: 1 }]);
    expect(r.isError).toBe(true);
    const id = [...sim.jobs.keys()].at(-1)!;
    expect(textOf(r)).toContain(id);
    expect(r._meta?.['kling-o1-mcp/error']).toMatchObject({ request_id: id });
  });
});

describe('cancellation from the client', () => {
  it('stops polling at once; the job stays in the ledger and keeps running upstream', async () => {
    const sim = await startSim();
    const tmp = tempDir();
    const c = await connectInMemory(simEnv(sim, tmp.dir));
    try {
      sim.planNext({ queueMs: 100, runMs: 3000 });
      const frames = { start: sim.host('s.png', await image(640, 360)), end: sim.host('e.png', await image(640, 360)) };
      const ac = new AbortController();
      const pending = c.client
        .callTool(
          { name: 'generate_video', arguments: { prompt: 'cancel me', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 30 } },
          CallToolResultSchema,
          { signal: ac.signal },
        )
        .catch((e: unknown) => e);
      while (sim.count('status') < 2) await new Promise((r) => setTimeout(r, 10));
      ac.abort();
      expect(await pending).toBeInstanceOf(Error);
      // One request may already be on the wire; nothing is sent after it.
      await new Promise((r) => setTimeout(r, 100));
      const settled = sim.count('status') + sim.count('result');
      await new Promise((r) => setTimeout(r, 1500));
      expect(sim.count('status') + sim.count('result')).toBe(settled);
      const id = [...sim.jobs.keys()][0]!;
      const listed = await call(c.client, 'list_jobs', { status: 'unfinished' });
      expect(listed.structuredContent!.jobs.map((j: { request_id: string }) => j.request_id)).toContain(id);
      const later = await call(c.client, 'get_result', { request_id: id, wait_seconds: 10 });
      expect(later.structuredContent!.status).toBe('completed');
    } finally {
      await c.close();
      await sim.stop();
      tmp.cleanup();
    }
  });

  it('a call cancelled while its submission is on the wire still records the job RunComfy accepted', async () => {
    const sim = await startSim();
    const tmp = tempDir();
    const c = await connectInMemory(simEnv(sim, tmp.dir));
    try {
      const frames = { start: sim.host('s.png', await image(640, 360)), end: sim.host('e.png', await image(640, 360)) };
      // Accepted upstream, then the answer is slow: the client gives up in between.
      sim.inject({ route: 'submit', afterProcessing: true, delayMs: 600 });
      const ac = new AbortController();
      const pending = c.client
        .callTool(
          { name: 'generate_video', arguments: { prompt: 'cancel mid-submit', start_image_url: frames.start, end_image_url: frames.end } },
          CallToolResultSchema,
          {
            signal: ac.signal,
          },
        )
        .catch((e: unknown) => e);
      await until(() => sim.submissions === 1);
      ac.abort();
      expect(await pending).toBeInstanceOf(Error);
      const id = [...sim.jobs.keys()][0]!;
      await until(() => c.app.ledger.jobs({ limit: 10 }).items.some((j) => j.request_id === id), 5000);
      const listed = await call(c.client, 'list_jobs', {});
      expect(listed.structuredContent!.jobs.map((j) => j.request_id)).toEqual([id]);
    } finally {
      await c.close();
      await sim.stop();
      tmp.cleanup();
    }
  });
});
