import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { ErrorCode } from '../src/errors.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { fieldsSent, schemaDrift } from '../src/models/schema-drift.js';
import { RunComfyClient } from '../src/runcomfy/client.js';
import { priceBasis } from '../src/runcomfy/schemas.js';
import {
  RUNCOMFY_CODES,
  SIM_DEFAULT_BALANCE_USD,
  SIM_TOKEN,
  type ErrorShape,
  type RunComfySimulator,
  type Route,
  type SimulatorOptions,
} from '../src/simulator/simulator.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, connectInMemory, keyframes, simEnv, startSim, tempDir, textOf, type Connected } from './helpers.js';
import { useLab } from './lab.js';

/**
 * RunComfy's documented contract (issue 8, /work/shared/runcomfy-contract.md),
 * through a real MCP client against the simulator: error codes on every HTTP
 * status they may come with, HTTP 200 included, never taken for a success;
 * result's succeeded/failed; cancel's 202 outcome; expired ids; price and cost.
 */

type Call = Awaited<ReturnType<typeof call>>;

/** Each code, its error code here, and its text for a job read (and for a submission, where that differs). */
const CODES: [number, ErrorCode, RegExp, RegExp?][] = [
  [RUNCOMFY_CODES.invalidModel, 'invalid_model', /does not recognise the model id.*RUNCOMFY_BASE_URL/],
  [RUNCOMFY_CODES.noBalance, 'insufficient_credits', /no remaining balance.*Top up your RunComfy balance/],
  [RUNCOMFY_CODES.badToken, 'unauthorized', /missing, wrong or expired, or the account is inactive.*RUNCOMFY_API_TOKEN/],
  [RUNCOMFY_CODES.otherUser, 'forbidden', /belongs to another RunComfy user/],
  [
    RUNCOMFY_CODES.notFound,
    'not_found',
    /expired.*can no longer be fetched from RunComfy.*kept only for a limited time.*list_jobs/,
    /not found.*model endpoint.*RUNCOMFY_BASE_URL/,
  ],
];
const HTTP_STATUSES = [400, 401, 402, 403, 404, 200];
/** Every code on every status, alternating the two body shapes and number/string codes. */
const MATRIX = CODES.flatMap(([code, kind, text, submitText], i) =>
  HTTP_STATUSES.map((status, j) => ({
    code,
    kind,
    text,
    submitText: submitText ?? text,
    status,
    shape: ((i + j) % 2 ? 'code' : 'error_code') as ErrorShape,
    codeAs: (j % 3 ? 'number' : 'string') as 'number' | 'string',
  })),
);

/** A tool error that cannot be mistaken for a success: isError, no structured result, the code and the text. */
function expectRefusal(r: Call, kind: ErrorCode, text: RegExp): void {
  expect(r).toBeToolError(kind);
  expect(r.structuredContent).toBeUndefined();
  expect(textOf(r)).toMatch(text);
  expect(textOf(r)).toContain('RunComfy said: injected error');
}

describe('RunComfy error codes, on every HTTP status', () => {
  const lab = useLab();
  let args: { prompt: string; start_image_url: string; end_image_url: string };
  let jobId: string;

  beforeAll(async () => {
    const frames = await keyframes(lab.sim);
    args = { prompt: 'contract', start_image_url: frames.start, end_image_url: frames.end };
    const r = await call(lab.c.client, 'generate_video', { ...args, wait_seconds: 20 });
    expect(r.structuredContent?.status, textOf(r)).toBe('completed');
    jobId = r.structuredContent!.request_id;
  });

  async function refusedSubmission(route: Route, code: number | string, answer: Parameters<RunComfySimulator['injectError']>[2]) {
    lab.sim.injectError(route, code, answer);
    const before = {
      created: lab.sim.submissions,
      posts: lab.sim.count('submit'),
      listed: (await call(lab.c.client, 'list_jobs', {})).structuredContent!.total,
    };
    const r = await call(lab.c.client, 'generate_video', { ...args, wait_seconds: 0 });
    lab.sim.clearFaults();
    return {
      r,
      created: lab.sim.submissions - before.created,
      posts: lab.sim.count('submit') - before.posts,
      listed: (await call(lab.c.client, 'list_jobs', {})).structuredContent!.total - before.listed,
    };
  }

  it.each(MATRIX)(
    'submit: $code on HTTP $status ($shape, as a $codeAs): $kind, nothing sent again, nothing recorded',
    async ({ code, kind, submitText, status, shape, codeAs }) => {
      const { r, created, posts, listed } = await refusedSubmission('submit', code, { status, shape, codeAs });
      expectRefusal(r, kind, submitText);
      expect(created).toBe(0);
      expect(posts).toBe(1);
      expect(listed).toBe(0);
    },
  );

  it.each(MATRIX)(
    'status and result reads: $code on HTTP $status ($shape, as a $codeAs): $kind, naming the job',
    async ({ code, kind, text, status, shape, codeAs }) => {
      for (const [route, tool] of [
        ['status', 'check_status'],
        ['result', 'get_result'],
      ] as const) {
        lab.sim.injectError(route, code, { status, shape, codeAs });
        const before = lab.sim.count(route);
        const r = await call(lab.c.client, tool, { request_id: jobId });
        lab.sim.clearFaults();
        expectRefusal(r, kind, text);
        expect(r._meta?.['kling-o1-mcp/error'], tool).toMatchObject({ request_id: jobId });
        // A definite answer: not read again.
        expect(lab.sim.count(route) - before, tool).toBe(1);
      }
    },
  );

  it('an HTTP 200 that carries both an error code and a success shape is an error', async () => {
    const body = JSON.stringify({
      error_code: 400004,
      error_message: 'token expired',
      request_id: jobId,
      status: 'completed',
      output: { video: 'https://x/y.mp4' },
    });
    lab.sim.inject({ route: 'result', status: 200, body });
    const r = await call(lab.c.client, 'get_result', { request_id: jobId });
    expect(r).toBeToolError('unauthorized');
    const sub = await refusedSubmission('submit', 400002, { status: 200, message: 'no balance' });
    expect(sub.r).toBeToolError('insufficient_credits');
    expect(sub.created).toBe(0);
  });

  it("an unknown code still gives a clear error with RunComfy's message, on 200 and on 4xx", async () => {
    const a = await refusedSubmission('submit', 499123, { status: 200, message: 'prompt too spicy' });
    expect(a.r).toBeToolError('upstream_error');
    expect(textOf(a.r)).toMatch(/error 499123.*RunComfy said: prompt too spicy/);
    expect([a.created, a.posts]).toEqual([0, 1]);
    lab.sim.injectError('status', 'ERR_ODD', { status: 418, shape: 'code', message: 'teapot' });
    const b = await call(lab.c.client, 'check_status', { request_id: jobId });
    expect(b).toBeToolError('upstream_error');
    expect(textOf(b)).toMatch(/error ERR_ODD \(HTTP 418\).*teapot/);
  });

  it('an unknown code on a 502 to a submission is still a definite rejection: not "outcome unknown", not resent', async () => {
    const { r, created, posts } = await refusedSubmission('submit', 500777, { status: 502, message: 'upstream model crashed' });
    expect(r).toBeToolError('upstream_error');
    expect([created, posts]).toEqual([0, 1]);
  });

  it('a submission answered 200 without a readable request_id is "outcome unknown" (it may be billed), never resent', async () => {
    lab.sim.inject({ route: 'submit', status: 200, body: '{"accepted":true}', afterProcessing: true });
    const before = { created: lab.sim.submissions, posts: lab.sim.count('submit') };
    const r = await call(lab.c.client, 'generate_video', { ...args, wait_seconds: 0 });
    expect(r).toBeToolError('submit_outcome_unknown');
    expect(textOf(r)).toMatch(/without a readable request_id.*dashboard/);
    expect([lab.sim.submissions - before.created, lab.sim.count('submit') - before.posts]).toEqual([1, 1]);
  });

  it('bodies without a code keep the HTTP-status meaning', async () => {
    lab.sim.inject({ route: 'status', status: 404, body: '{"detail":"Not Found"}' });
    const r = await call(lab.c.client, 'check_status', { request_id: jobId });
    expect(r).toBeToolError('not_found');
    expect(textOf(r)).toMatch(/HTTP 404.*list_jobs/);
  });
});

describe('the simulator raises each code by itself', () => {
  const sims: RunComfySimulator[] = [];
  const conns: Connected[] = [];
  const tmp = tempDir();
  afterAll(async () => {
    for (const c of conns) await c.close();
    for (const s of sims) await s.stop();
    tmp.cleanup();
  });
  async function rig(opts: SimulatorOptions, env: Record<string, string | undefined> = {}, clock?: VirtualClock) {
    const sim = await startSim({ ...opts, ...(clock && { clock }) });
    sims.push(sim);
    const c = await connectInMemory(simEnv(sim, `${tmp.dir}/${sims.length}`, env), clock);
    conns.push(c);
    return { sim, c, frames: await keyframes(sim) };
  }
  const gen = (c: Connected, f: { start: string; end: string }, wait = 0) =>
    call(c.client, 'generate_video', { prompt: 'p', start_image_url: f.start, end_image_url: f.end, wait_seconds: wait });

  for (const status of [200, 401, 403])
    it(`a bad token: 400004 on HTTP ${status} to the price lookup stops there, naming RUNCOMFY_API_TOKEN and where to set it; nothing is posted`, async () => {
      const { sim, c, frames } = await rig({ errorStatus: { 400004: status } }, { RUNCOMFY_API_TOKEN: 'not-the-right-token-42' });
      for (const r of [
        await gen(c, frames),
        await call(c.client, 'generate_storyboard', { shots: [{ prompt: 'p', start_image_url: frames.start, end_image_url: frames.end }] }),
      ]) {
        expect(r).toBeToolError('unauthorized');
        expect(textOf(r)).toMatch(/RUNCOMFY_API_TOKEN/);
        expect(textOf(r)).toContain('Claude Desktop extension: Settings → Extensions');
      }
      expect(sim.requests.filter((q) => q.route === 'model').map((q) => q.status)).toEqual([status, status]);
      expect(sim.requests.filter((q) => q.route === 'submit')).toEqual([]);
    });

  it('a base URL with a model path in it: 400001 says to check RUNCOMFY_BASE_URL', async () => {
    const sim = await startSim();
    sims.push(sim);
    const c = await connectInMemory(simEnv(sim, `${tmp.dir}/model`, { RUNCOMFY_BASE_URL: `${sim.url}/v1/models/kling` }));
    conns.push(c);
    const r = await gen(c, await keyframes(sim));
    expect(r).toBeToolError('invalid_model');
    expect(textOf(r)).toMatch(/RUNCOMFY_BASE_URL/);
    expect(sim.submissions).toBe(0);
  });

  it('the balance runs out: the submission beyond it gets 400002 (top up), and is not created', async () => {
    // 5 s at $0.112/s is $0.56: one fits in $0.60, a second does not.
    const { sim, c, frames } = await rig({ balanceUsd: 0.6, errorStatus: { 400002: 403 } });
    expect((await gen(c, frames)).isError).toBeFalsy();
    const r = await gen(c, frames);
    expect(r).toBeToolError('insufficient_credits');
    expect(textOf(r)).toMatch(/Top up your RunComfy balance/);
    expect(sim.submissions).toBe(1);
    expect(sim.count('submit')).toBe(2);
  });

  it("another user's job: 403001, while its owner still sees it", async () => {
    const other = 'second-user-token-777';
    const { sim, c, frames } = await rig({ tokens: [other] });
    const mine = await gen(c, frames);
    const id = mine.structuredContent!.request_id;
    const c2 = await connectInMemory(simEnv(sim, `${tmp.dir}/other`, { RUNCOMFY_API_TOKEN: other }));
    conns.push(c2);
    const r = await call(c2.client, 'check_status', { request_id: id });
    expect(r).toBeToolError('forbidden');
    expect(textOf(r)).toContain(id);
    expect((await call(c.client, 'check_status', { request_id: id })).isError).toBeFalsy();
  });

  it('an expired job: 404001 says it is too old to fetch, and list_jobs still shows the saved file', async () => {
    const clock = new VirtualClock();
    const { c, frames } = await rig({ expireAfterMs: 60 * 60_000, errorStatus: { 404001: 400 } }, {}, clock);
    const done = await gen(c, frames, 60);
    expect(done.structuredContent?.status, textOf(done)).toBe('completed');
    const id = done.structuredContent!.request_id;
    await clock.sleep(2 * 60 * 60_000);
    const r = await call(c.client, 'get_result', { request_id: id });
    expect(r).toBeToolError('not_found');
    expect(textOf(r)).toMatch(/can no longer be fetched from RunComfy: results are kept only for a limited time/);
    const listed = await call(c.client, 'list_jobs', {});
    expect(listed.structuredContent!.jobs[0]).toMatchObject({ request_id: id });
    expect(listed.structuredContent!.jobs[0]!.file).toBeTruthy();
  });

  it('the error bodies come in both shapes, codes as numbers by default', async () => {
    const { sim } = await rig({ errorShape: 'code', errorStatus: { 404001: 200 } });
    const res = await fetch(`${sim.url}/v1/requests/nope/status`, { headers: { authorization: `Bearer ${SIM_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 404001, error: expect.stringMatching(/does not exist/) });
    const bad = await fetch(`${sim.url}/v1/models/kling/other`, { headers: { authorization: `Bearer ${SIM_TOKEN}` } });
    expect(await bad.json()).toMatchObject({ code: 400001 });
  });
});

describe('result, cancel and cost as documented', () => {
  const lab = useLab();
  let frames: { start: string; end: string };
  beforeAll(async () => {
    frames = await keyframes(lab.sim);
  });
  const gen = (wait: number, duration = 5) =>
    call(lab.c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: wait, duration });
  const client = () =>
    new RunComfyClient({
      baseUrl: lab.sim.url,
      accountBaseUrl: lab.sim.url,
      token: SIM_TOKEN,
      retry: { attempts: 2, baseMs: 10, maxDelayMs: 20, totalMs: 2000 },
    });

  it('succeeded: the result answer says "succeeded", the tools say completed, the video is saved; the cost is asked for', async () => {
    const before = lab.sim.submissions;
    const r = await gen(20);
    expect(r.structuredContent).toMatchObject({ status: 'completed', done: true });
    expect(r.structuredContent!.files).toHaveLength(1);
    expect(lab.sim.submissions - before).toBe(1);
    const id = r.structuredContent!.request_id;
    const raw = await (await fetch(`${lab.sim.url}/v1/requests/${id}/result`, { headers: { authorization: `Bearer ${SIM_TOKEN}` } })).json();
    expect(raw).toMatchObject({ request_id: id, status: 'succeeded', output: { video: expect.any(String) } });
    expect(lab.sim.requests.some((q) => q.route === 'result' && q.path === `/v1/requests/${id}/result?include_cost=true`)).toBe(true);
    const res = await client().result(id, { includeCost: true });
    expect(res).toMatchObject({ status: 'completed', cost: 0.56 });
    expect(res.cost).toBeCloseTo(0.112 * 5);
    expect((await client().result(id)).cost).toBeUndefined();
  });

  it.each([
    ['an object', { error_code: 'content_policy', message: 'The frames were flagged by moderation.' }, 'The frames were flagged by moderation.'],
    ['a string', 'Generation timed out on the worker.', 'Generation timed out on the worker.'],
  ])('failed, with its error as %s: a tool error with the reason and the request_id; it costs 0', async (_n, error, reason) => {
    lab.sim.planNext({ queueMs: 0, runMs: 100, failWith: { error } });
    const before = lab.sim.submissions;
    const r = await gen(20);
    expect(r.isError).toBe(true);
    const id = r.structuredContent!.request_id;
    expect(r.structuredContent).toMatchObject({ status: 'failed', done: true, error: reason });
    expect(textOf(r)).toContain(reason);
    expect(textOf(r)).toContain(id);
    expect(lab.sim.submissions - before).toBe(1);
    expect(await client().result(id, { includeCost: true })).toMatchObject({ status: 'failed', cost: 0 });
  });

  it('not done: the result answer is HTTP 200 with the current state, not an error', async () => {
    lab.sim.planNext({ queueMs: 60_000, runMs: 1000 });
    const id = (await gen(0)).structuredContent!.request_id;
    const r = await call(lab.c.client, 'get_result', { request_id: id });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ status: 'in_queue', done: false });
    expect(lab.sim.requests.filter((q) => q.route === 'result').at(-1)!.status).toBe(200);
    await call(lab.c.client, 'cancel', { request_id: id });
  });

  it("cancel's 202: not_cancellable while running (it will be billed), cancelled while queued, and nothing changes once finished", async () => {
    lab.sim.planNext({ queueMs: 0, runMs: 60_000 }, { queueMs: 60_000, runMs: 1000 });
    const before = lab.sim.submissions;
    const running = (await gen(0)).structuredContent!.request_id;
    const queued = (await gen(0)).structuredContent!.request_id;
    expect(lab.sim.submissions - before).toBe(2);

    const a = await call(lab.c.client, 'cancel', { request_id: running });
    expect(a.isError).toBeFalsy();
    expect(a.structuredContent).toMatchObject({ outcome: 'not_cancellable', cancelled: false, status: 'in_progress' });
    expect(textOf(a)).toMatch(/cannot be cancelled.*will finish and be billed/);

    const b = await call(lab.c.client, 'cancel', { request_id: queued });
    expect(b.structuredContent).toMatchObject({ outcome: 'cancelled', cancelled: true, status: 'cancelled' });
    expect(textOf(b)).toMatch(/is cancelled/);
    const cancels = lab.sim.requests.filter((q) => q.route === 'cancel' && (q.path.includes(running) || q.path.includes(queued)));
    expect(cancels.map((q) => q.status)).toEqual([202, 202]);

    const again = await call(lab.c.client, 'cancel', { request_id: queued });
    expect(again.structuredContent).toMatchObject({ outcome: 'cancelled', cancelled: true });
    expect(await client().result(queued, { includeCost: true })).toMatchObject({ status: 'cancelled', cost: 0 });

    const done = (await gen(20)).structuredContent!.request_id;
    const c = await call(lab.c.client, 'cancel', { request_id: done });
    expect(c.structuredContent).toMatchObject({ outcome: 'not_cancellable', cancelled: false, status: 'completed' });
    expect(textOf(c)).toMatch(/already finished/);
    expect((await call(lab.c.client, 'get_result', { request_id: done })).structuredContent!.status).toBe('completed');
  });

  it('cost sent as a numeric string is read as a number; nonsense is unknown, not an error', async () => {
    const id = (await gen(20)).structuredContent!.request_id;
    const c = client();
    for (const [cost, want] of [
      ['0.56', 0.56],
      ['lots', undefined],
      [-1, undefined],
      [null, undefined],
    ] as const) {
      lab.sim.inject({
        route: 'result',
        status: 200,
        body: JSON.stringify({ request_id: id, status: 'succeeded', output: { video: 'https://x/v.mp4' }, cost }),
      });
      expect((await c.result(id, { includeCost: true })).cost).toBe(want);
    }
  });
});

describe("the model's price", () => {
  const sims: RunComfySimulator[] = [];
  afterAll(async () => {
    for (const s of sims) await s.stop();
  });
  async function info(price: SimulatorOptions['price']) {
    const sim = await startSim({ price });
    sims.push(sim);
    const client = new RunComfyClient({
      baseUrl: sim.url,
      accountBaseUrl: sim.url,
      token: SIM_TOKEN,
      retry: { attempts: 2, baseMs: 10, maxDelayMs: 20, totalMs: 2000 },
    });
    return { client, sim };
  }

  it('per second, per request, an unknown unit, missing fields', async () => {
    const perSecond = await info({ base_price_usd: 0.112, price_unit: 'per_second', pricing_note: 'per second of video' });
    expect(await perSecond.client.modelInfo(DEFAULT_MODEL.id)).toEqual({
      inputSchema: JSON.parse(JSON.stringify(DEFAULT_MODEL.schema)),
      basePriceUsd: 0.112,
      priceUnit: 'per_second',
      pricingNote: 'per second of video',
      price: { unit: 'second', usd: 0.112 },
    });
    expect(perSecond.sim.requests.at(-1)).toMatchObject({ route: 'model', method: 'GET', path: '/v1/models/kling/kling-video-o1/image-to-video' });
    const perRequest = await info({ base_price_usd: '0.90', price_unit: 'request' });
    expect((await perRequest.client.modelInfo(DEFAULT_MODEL.id)).price).toEqual({ unit: 'output', usd: 0.9 });
    const odd = await info({ base_price_usd: 0.01, price_unit: 'per 1k tokens' });
    expect(await odd.client.modelInfo(DEFAULT_MODEL.id)).toEqual({ inputSchema: expect.any(Object), basePriceUsd: 0.01, priceUnit: 'per 1k tokens' });
    const bare = await info({});
    expect(await bare.client.modelInfo(DEFAULT_MODEL.id)).toEqual({ inputSchema: expect.any(Object) });
  });

  it('an endpoint that is down is an error the caller can tolerate (retried like a read)', async () => {
    const { client, sim } = await info({ ...{ base_price_usd: 1 }, down: true });
    await expect(client.modelInfo(DEFAULT_MODEL.id)).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(sim.count('model')).toBe(2);
  });

  it('an error code on the model endpoint is named', async () => {
    const { client, sim } = await info(undefined);
    sim.injectError('model', 400004, { status: 200 });
    await expect(client.modelInfo(DEFAULT_MODEL.id)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it.each([
    ['second', 'second'],
    ['per_second', 'second'],
    ['Per Second', 'second'],
    ['sec', 'second'],
    ['/s', 'second'],
    ['USD/s', 'second'],
    ['seconds', 'second'],
    ['per video second', 'second'],
    ['request', 'output'],
    ['per_request', 'output'],
    ['run', 'output'],
    ['per generation', 'output'],
    ['video', 'output'],
    ['output', 'output'],
    ['image', 'image'],
    ['per image', 'image'],
    ['per 5 seconds', undefined],
    ['minute', undefined],
    ['', undefined],
    ['credits', undefined],
  ])('price unit %j is per %s', (unit, per) => {
    expect(priceBasis(unit)).toBe(per);
  });
});

describe('any model, by its id', () => {
  const sims: RunComfySimulator[] = [];
  afterAll(async () => {
    for (const s of sims) await s.stop();
  });

  it('a model RunComfy does not offer: 400001 names that id, on submit and on its price; nothing is created', async () => {
    const sim = await startSim();
    sims.push(sim);
    const client = new RunComfyClient({ baseUrl: sim.url, accountBaseUrl: sim.url, token: SIM_TOKEN });
    const body = { prompt: 'p', duration: 5 };
    await expect(client.submit('kling/no-such-model', body)).rejects.toMatchObject({
      code: 'invalid_model',
      message: expect.stringMatching(/does not recognise the model id "kling\/no-such-model" \(error 400001\)/),
    });
    await expect(client.modelInfo('kling/no-such-model')).rejects.toMatchObject({ message: expect.stringContaining('"kling/no-such-model"') });
    expect(sim.submissions).toBe(0);
    // An id that is not one never reaches the network: it could climb out of /v1/models/.
    for (const id of ['kling/../../v1/requests/x', 'kling/./x', '/kling', 'kling?x=1', 'kling//x']) {
      await expect(client.submit(id, body), id).rejects.toMatchObject({
        code: 'invalid_model',
        message: expect.stringContaining('is not a RunComfy model id'),
      });
    }
    expect(sim.requests.map((r) => r.path)).toEqual(['/v1/models/kling/no-such-model', '/v1/models/kling/no-such-model']);
  });
});

describe("the account's balance (RunComfy's core API, RUNCOMFY_ACCOUNT_BASE_URL)", () => {
  const sims: RunComfySimulator[] = [];
  afterAll(async () => {
    for (const s of sims) await s.stop();
  });
  async function account(simulator: SimulatorOptions = {}, token = SIM_TOKEN, accountBaseUrl?: string) {
    const sim = await startSim(simulator);
    sims.push(sim);
    const retry = { attempts: 2, baseMs: 10, maxDelayMs: 20, totalMs: 2000 };
    return { sim, client: new RunComfyClient({ baseUrl: sim.url, accountBaseUrl: accountBaseUrl ?? sim.url, token, retry }) };
  }

  it('its address is a setting of its own: https://api.runcomfy.net unless set, a bad one named like every bad setting', () => {
    expect(loadConfig({})).toMatchObject({ baseUrl: 'https://model-api.runcomfy.net', accountBaseUrl: 'https://api.runcomfy.net', problems: [] });
    expect(loadConfig({ RUNCOMFY_ACCOUNT_BASE_URL: 'http://127.0.0.1:8787/' }).accountBaseUrl).toBe('http://127.0.0.1:8787');
    expect(loadConfig({ RUNCOMFY_ACCOUNT_BASE_URL: 'ftp://x' }).problems).toEqual(['RUNCOMFY_ACCOUNT_BASE_URL must be an http:// or https:// URL.']);
  });

  it('is read with the token, spending nothing, from GET /prod/v2/balance on the account host', async () => {
    const { client, sim } = await account({ balanceUsd: 12.34 });
    expect(await client.balance()).toEqual({ usd: 12.34, currency: 'USD' });
    expect(sim.requests.at(-1)).toMatchObject({ route: 'balance', method: 'GET', path: '/prod/v2/balance', status: 200 });
    expect(sim.submissions).toBe(0);
    const unset = await account();
    expect((await unset.client.balance()).usd).toBe(SIM_DEFAULT_BALANCE_USD);
  });

  it('may be 0 or negative (one wallet pays for every RunComfy product), and shrinks by what jobs cost', async () => {
    expect((await (await account({ balanceUsd: 0 })).client.balance()).usd).toBe(0);
    expect((await (await account({ balanceUsd: -3.5 })).client.balance()).usd).toBe(-3.5);
    const { client, sim } = await account({ balanceUsd: 10 });
    const frames = await keyframes(sim);
    await client.submit(DEFAULT_MODEL.id, { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, duration: 5 });
    // A job's price is held from its submission.
    expect((await client.balance()).usd).toBeCloseTo(10 - 0.112 * 5, 6);
  });

  it('a refused token is unauthorized, with the setup steps, whatever the HTTP status', async () => {
    const { client } = await account({}, 'not-the-token');
    await expect(client.balance()).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/400004.*RUNCOMFY_API_TOKEN/) });
    const { client: c2, sim } = await account();
    sim.inject({ route: 'balance', status: 401, body: '{"detail":"Unauthorized"}' });
    await expect(c2.balance()).rejects.toMatchObject({ code: 'unauthorized' });
    sim.injectError('balance', RUNCOMFY_CODES.badToken, { status: 200 });
    await expect(c2.balance()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('reads microdollars (exact) over USD, numbers sent as strings, and refuses an answer with neither', async () => {
    const { client, sim } = await account();
    sim.inject({ route: 'balance', status: 200, body: JSON.stringify({ balance_usd: 1.23, balance_microdollars: '1234567', currency: 'USD' }) });
    expect(await client.balance()).toEqual({ usd: 1.234567, currency: 'USD' });
    sim.inject({ route: 'balance', status: 200, body: JSON.stringify({ balance_usd: '-0.50' }) });
    expect(await client.balance()).toEqual({ usd: -0.5, currency: 'USD' });
    sim.inject({ route: 'balance', status: 200, body: JSON.stringify({ currency: 'USD' }), times: 2 });
    await expect(client.balance()).rejects.toMatchObject({ code: 'upstream_bad_response' });
  });

  it('a wrong or unreachable account address names RUNCOMFY_ACCOUNT_BASE_URL, not the Model API setting', async () => {
    const sim = await startSim();
    sims.push(sim);
    const wrongPath = (await account({}, SIM_TOKEN, `${sim.url}/api`)).client;
    await expect(wrongPath.balance()).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/balance.*RUNCOMFY_ACCOUNT_BASE_URL/) });
    // Port 9 (discard) has no listener on loopback: connection refused at once.
    const offline = (await account({}, SIM_TOKEN, 'http://127.0.0.1:9')).client;
    await expect(offline.balance()).rejects.toMatchObject({ code: 'network', message: expect.stringContaining('RUNCOMFY_ACCOUNT_BASE_URL') });
  });
});

describe("a model's live input schema (GET /v1/models/{id}), and the simulator's drift fault", () => {
  const sims: RunComfySimulator[] = [];
  afterAll(async () => {
    for (const s of sims) await s.stop();
  });
  async function drifted(simulator: SimulatorOptions) {
    const sim = await startSim(simulator);
    sims.push(sim);
    return { sim, client: new RunComfyClient({ baseUrl: sim.url, accountBaseUrl: sim.url, token: SIM_TOKEN }) };
  }
  const drift = async (client: RunComfyClient) => {
    const live = (await client.modelInfo(DEFAULT_MODEL.id)).inputSchema!;
    return schemaDrift(live, DEFAULT_MODEL.schema, { fields: fieldsSent(DEFAULT_MODEL) });
  };

  it('is read with the price, and matches ours until the simulator changes it', async () => {
    const { client, sim } = await drifted({});
    expect(await drift(client)).toEqual({ refuse: [], notes: [] });
    sim.changeSchema(DEFAULT_MODEL.id, { require: 'seed' });
    expect((await drift(client)).refuse.map((d) => `${d.kind}:${d.field}`)).toEqual(['required_not_sent:seed']);
    sim.restoreSchemas();
    expect(await drift(client)).toEqual({ refuse: [], notes: [] });
  });

  it('each change of the fault mode is a difference that refuses: a required field, a dropped one, a narrowed enum, new validations', async () => {
    const { client } = await drifted({
      schemaChanges: {
        [DEFAULT_MODEL.id]: [{ require: 'seed' }, { drop: 'end_image_url' }, { field: 'duration', enum: [5] }, { field: 'start_image_url', validations: [] }],
      },
    });
    expect((await drift(client)).refuse.map((d) => `${d.kind}:${d.field}`)).toEqual([
      'validations_changed:start_image_url',
      'enum_changed:duration',
      'required_not_sent:seed',
      'field_gone:end_image_url',
    ]);
  });
});
