import { describe, expect } from 'vitest';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Fault } from '../src/simulator/simulator.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, image, startSim, textOf, until } from './helpers.js';
import { labTest } from './lab.js';

/**
 * Fault injection against the simulator, on one VirtualClock shared by the simulator and the server: retries,
 * Retry-After, outages and hung reads cost no real time, and no outcome races the machine's speed. Only undici's
 * HTTP timeout is met in real time. Images are served by a second simulator, so an outage of the API does not touch
 * pre-flight. Every job either completes or reports a clear error, and every call costs exactly one submission (or
 * none, when it was refused).
 */
const clock = new VirtualClock();
// At info the server logs its retries: that shows a refused submission was sent again.
const test = labTest({ clock, env: { KLING_MCP_HTTP_TIMEOUT_S: '1', KLING_MCP_LOG_LEVEL: 'info' } })
  // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from its first parameter: none is {}
  .extend('files', { scope: 'file' }, async ({}, { onCleanup }) => {
    const files = await startSim();
    onCleanup(() => files.stop());
    return files;
  })
  .extend('args', { scope: 'file' }, async ({ files }) => ({
    prompt: 'faults',
    start_image_url: files.host('s.png', await image(640, 360)),
    end_image_url: files.host('e.png', await image(640, 360, 'png', '#cc8800')),
  }))
  /** Runs generate_video with faults armed; returns the result and how many jobs it created upstream. */
  .extend('generate', ({ sim, shared, args }) => async (faults: Fault[], extra: Record<string, unknown> = {}) => {
    sim.clearFaults();
    faults.forEach((f) => sim.inject(f));
    const before = sim.submissions;
    const posts = sim.count('submit');
    const r = await call(shared.client, 'generate_video', { ...args, wait_seconds: 30, ...extra });
    sim.clearFaults();
    return { r, created: sim.submissions - before, posts: sim.count('submit') - posts };
  });

describe('faults upstream', () => {
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
    // Real time: the server's HTTP timeout (1 s here) is undici's. Far slower headers, so the timeout always wins.
    ['slow headers beyond the timeout', [{ route: 'status', delayMs: 5000, status: 200, body: '{"status":"in_queue"}' }]],
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
  test.for(recovers)('%s: the job completes, one submission', async ([, faults], { generate }) => {
    const { r, created, posts } = await generate(faults);
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent!.status).toBe('completed');
    expect(r.structuredContent!.files).toHaveLength(1);
    expect(created).toBe(1);
    expect(posts).toBe(1);
  });

  test('honours Retry-After: no status request comes sooner than it asked', async ({ sim, generate }) => {
    const { r } = await generate([{ route: 'status', status: 429, headers: { 'retry-after': '1' }, times: 2 }]);
    const polls = sim.requests.filter((q) => q.route === 'status' && q.path.includes(r.structuredContent!.request_id));
    expect(polls.filter((q) => q.status === 429)).toHaveLength(2);
    for (let i = 1; i < polls.length; i++) {
      if (polls[i - 1]!.status === 429) expect(polls[i]!.at - polls[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    }
  });

  test('the simulator down for a while as jobs are polled: they complete', async ({ sim, shared, args }) => {
    // The model's live schema, its price and the balance are read from here on: the two calls go straight to submitting,
    // before the clock their polling drives reaches the outage.
    await call(shared.client, 'generate_video', { ...args, wait_seconds: 0 });
    sim.planNext({ queueMs: 200, runMs: 1500 }, { queueMs: 200, runMs: 1500 });
    // 400 ms into the jobs, by the shared clock: the API refuses connections for 1.2 s, then is back with its jobs.
    clock.after(400, () => void sim.outage(1200));
    const results = await Promise.all([
      call(shared.client, 'generate_video', { ...args, wait_seconds: 30 }),
      call(shared.client, 'generate_video', { ...args, wait_seconds: 30 }),
    ]);
    for (const r of results) {
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(r.structuredContent!.status).toBe('completed');
    }
    expect(shared.logs.some((l) => /retrying status in \d+ ms: Could not talk to RunComfy \(ECONNREFUSED\)/.test(l))).toBe(true);
  });

  test('an outage longer than the retries does not end the wait while the budget lasts', async ({ sim, generate }) => {
    sim.planNext({ queueMs: 0, runMs: 400 });
    const { r, created } = await generate([{ route: 'status', status: 503, times: 9 }]);
    expect(r.structuredContent?.status, textOf(r)).toBe('completed');
    expect(created).toBe(1);
  });

  test('status reads that keep hanging cannot hold the call past its wait: it answers in time, naming the job', async ({ sim, generate }) => {
    sim.planNext({ queueMs: 0, runMs: 600_000 });
    // Each status read is held a minute by the shared clock: only the end of the call's wait (3 s, plus 3 s of
    // grace for a read in flight) can end it first, and then the answer names the job instead of its status.
    const { r, created } = await generate([{ route: 'status', holdMs: 60_000, times: 100 }], { wait_seconds: 3 });
    expect(created).toBe(1);
    const id = [...sim.jobs.keys()].at(-1)!;
    expect(textOf(r)).toContain(id);
    expect(r).toBeToolError('upstream_unavailable');
    expect(textOf(r)).toMatch(/did not answer a status request within this call's wait/);
  });

  test('connection refused at submission: sent again (it never arrived), exactly one job', async ({ sim, shared, generate }) => {
    await generate([]); // the price is known from here on, so the submission is the first request the outage meets
    await sim.outage(100);
    const { r, created } = await generate([]);
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(created).toBe(1);
    expect(shared.logs.some((l) => /retrying submit in \d+ ms: Could not talk to RunComfy \(ECONNREFUSED\)/.test(l))).toBe(true);
  });

  test('a reset after the submission was processed: outcome unknown, never sent twice, recorded', async ({ shared, generate }) => {
    const { r, created, posts } = await generate([{ route: 'submit', reset: 'before-headers', afterProcessing: true }]);
    expect(r).toBeToolError('submit_outcome_unknown');
    expect(textOf(r)).toMatch(/unknown whether RunComfy accepted/);
    expect(created).toBe(1);
    expect(posts).toBe(1);
    const unknown = await call(shared.client, 'list_jobs', { status: 'outcome_unknown' });
    expect(unknown.structuredContent!.total).toBeGreaterThanOrEqual(1);
    expect(unknown.structuredContent!.jobs[0]).toMatchObject({ outcome_unknown: true, prompt: 'faults' });
  });

  test('a 502 from a gateway after the submission was processed: outcome unknown, not sent twice', async ({ generate }) => {
    const { r, created, posts } = await generate([{ route: 'submit', status: 502, afterProcessing: true }]);
    expect(r).toBeToolError('submit_outcome_unknown');
    expect(created).toBe(1);
    expect(posts).toBe(1);
  });

  test('a 500 or 429 refusing the submission: a clear error, nothing created, not retried', async ({ generate }) => {
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

  test('RunComfy rejecting the input: its own message, nothing created', async ({ generate }) => {
    const { r, created } = await generate([{ route: 'submit', status: 422, body: JSON.stringify({ detail: [{ msg: 'prompt violates content policy' }] }) }]);
    expect(r).toBeToolError('upstream_validation');
    expect(textOf(r)).toContain('prompt violates content policy');
    expect(created).toBe(0);
  });

  test('insufficient credits are named as such', async ({ generate }) => {
    const { r } = await generate([{ route: 'submit', status: 402, body: JSON.stringify({ detail: 'Insufficient credits' }) }]);
    expect(r).toBeToolError('insufficient_credits');
    expect(textOf(r)).toMatch(/Top up/);
  });

  test('a job that fails upstream, or ends in an unknown terminal-looking state, is reported as a failure, not a crash', async ({ sim, generate }) => {
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

  test('an unknown request_id is named, with where to find known ones', async ({ shared }) => {
    const r = await call(shared.client, 'check_status', { request_id: 'no-such-request' });
    expect(r).toBeToolError('not_found');
    expect(textOf(r)).toMatch(/list_jobs/);
  });

  test('polling errors after submission keep the request_id in the answer', async ({ sim, generate }) => {
    sim.planNext({ queueMs: 0, runMs: 5000 });
    const { r } = await generate([{ route: 'status', status: 401, times: 1 }]);
    expect(r.isError).toBe(true);
    const id = [...sim.jobs.keys()].at(-1)!;
    expect(textOf(r)).toContain(id);
    expect(r._meta?.['kling-o1-mcp/error']).toMatchObject({ request_id: id });
  });
});

const cancelClock = new VirtualClock();
const cancelling = labTest({ clock: cancelClock });

describe('cancellation from the client', () => {
  cancelling('stops polling at once; the job stays in the ledger and keeps running upstream', async ({ sim, frames, connect }) => {
    const c = await connect();
    sim.planNext({ queueMs: 100, runMs: 600_000 });
    const polled = sim.count('status');
    const ac = new AbortController();
    const pending = c.client
      .callTool(
        { name: 'generate_video', arguments: { prompt: 'cancel me', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 900 } },
        CallToolResultSchema,
        { signal: ac.signal },
      )
      .catch((e: unknown) => e);
    await until(() => sim.count('status') >= polled + 2);
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    // The server unwinds the cancelled call (its wait's timers go), and a read already on the wire lands during
    // the round trip. Then ten minutes pass on the clock, and nothing more is asked.
    await until(() => cancelClock.pendingTimers === 0);
    await call(c.client, 'list_jobs', {});
    const settled = sim.count('status') + sim.count('result');
    await cancelClock.sleep(600_000);
    const id = [...sim.jobs.keys()].at(-1)!;
    const listed = await call(c.client, 'list_jobs', { status: 'unfinished' });
    expect(listed.structuredContent!.jobs.map((j: { request_id: string }) => j.request_id)).toContain(id);
    expect(sim.count('status') + sim.count('result')).toBe(settled);
    expect(cancelClock.pendingTimers).toBe(0);
    const later = await call(c.client, 'get_result', { request_id: id, wait_seconds: 900 });
    expect(later.structuredContent!.status).toBe('completed');
  });

  cancelling('a call cancelled while its submission is on the wire still records the job RunComfy accepted', async ({ sim, frames, connect }) => {
    const c = await connect();
    // Accepted upstream, then the answer is held until the client has given up.
    let answer!: () => void;
    sim.inject({ route: 'submit', afterProcessing: true, release: new Promise<void>((resolve) => (answer = resolve)) });
    const before = sim.submissions;
    const ac = new AbortController();
    const pending = c.client
      .callTool(
        { name: 'generate_video', arguments: { prompt: 'cancel mid-submit', start_image_url: frames.start, end_image_url: frames.end } },
        CallToolResultSchema,
        { signal: ac.signal },
      )
      .catch((e: unknown) => e);
    await until(() => sim.submissions === before + 1);
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    answer();
    const id = [...sim.jobs.keys()].at(-1)!;
    await until(async () => (await c.app.ledger.jobs({ limit: 10 })).items.some((j) => j.request_id === id));
    const listed = await call(c.client, 'list_jobs', {});
    expect(listed.structuredContent!.jobs.map((j) => j.request_id)).toEqual([id]);
  });
});
