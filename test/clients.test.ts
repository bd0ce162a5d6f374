/**
 * What real MCP clients showed (issue 11): each finding, driven through the
 * SDK's Client in memory, or over stdio where it is about the process.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { ErrorCode, McpError, type Notification } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LEGACY_FILE } from '../src/ledger/sqlite/ledger.js';
import type { JobSummary } from '../src/jobs/summary.js';
import type { LedgerEvent } from '../src/ledger/records.js';
import { MODEL_TOOLS } from '../src/tools/index.js';
import { LEDGER_OPEN_LIMIT_MS } from '../src/context.js';
import type { JobDocument } from '../src/resources/jobs.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, newClient, readJson, textOf, until } from './helpers.js';
import { labTest } from './lab.js';

const test = labTest();

/** The error a resource read is refused with. */
async function readError(client: Client, uri: string): Promise<McpError> {
  const err = await client.readResource({ uri }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${uri} should be refused`).toBeInstanceOf(McpError);
  return err as McpError;
}

/** A client that keeps the method of every notification the server sends it. */
function recordingClient(): { client: Client; methods: string[] } {
  const client = newClient();
  const methods: string[] = [];
  client.fallbackNotificationHandler = async (n: Notification) => {
    methods.push(n.method);
  };
  return { client, methods };
}

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
const input = { prompt: 'an old job', start_image_url: 'https://example.com/a.png', end_image_url: 'https://example.com/b.png', duration: 5 };

/** A state folder whose (old, jsonl) ledger already holds a job that ran and failed, as an earlier run of the server left it. */
function stateWithAJob(dir: string): string {
  const state = path.join(dir, 'state');
  mkdirSync(state, { recursive: true });
  const events: LedgerEvent[] = [
    { t: 'submitted', id: 'job-old-1', at: T0, input },
    { t: 'state', id: 'job-old-1', at: T0 + 1_000, status: 'in_queue', queue_position: 2 },
    { t: 'state', id: 'job-old-1', at: T0 + 9_000, status: 'failed' },
    { t: 'error', id: 'job-old-1', at: T0 + 9_000, code: 'job_failed', message: 'The generation failed.' },
  ];
  writeFileSync(path.join(state, LEGACY_FILE), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return state;
}

describe('reading an unknown job or storyboard', () => {
  test('is refused as InvalidParams, naming where the known ones are listed', async ({ connect }) => {
    const c = await connect();
    const job = await readError(c.client, 'kling://jobs/no-such-job');
    expect(job.code).toBe(ErrorCode.InvalidParams);
    expect(job.message).toMatch(/^MCP error -32602: No job no-such-job is recorded/);
    expect(job.message).toMatch(/list_jobs/);
    expect(job.data).toEqual({ code: 'not_found' });

    const board = await readError(c.client, 'kling://storyboards/sb-nosuchboard1');
    expect(board.code).toBe(ErrorCode.InvalidParams);
    expect(board.message).toMatch(/No storyboard sb-nosuchboard1/);
    expect(board.message).toMatch(/kling:\/\/storyboards/);
  });
});

describe('output schemas are strict-clean', () => {
  /**
   * What MCP Inspector --strict warns about: `additionalProperties: {}` (a schema
   * that constrains nothing) and `type` arrays (unportable to single-type dialects).
   */
  function strictWarnings(schema: unknown, at: string): string[] {
    if (!schema || typeof schema !== 'object') return [];
    return Object.entries(schema).flatMap(([k, v]) => [
      ...(k === 'additionalProperties' && v && typeof v === 'object' && Object.keys(v).length === 0 ? [`${at}.${k} is {}`] : []),
      ...(k === 'type' && Array.isArray(v) ? [`${at}.${k} is an array`] : []),
      ...strictWarnings(v, `${at}.${k}`),
    ]);
  }

  test('no tool schema says additionalProperties: {} or has a type array (MCP Inspector --strict warns on both)', async ({ connect }) => {
    const c = await connect();
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(MODEL_TOOLS.map((t) => t.name).sort());
    for (const t of tools) expect(t.outputSchema, t.name).toBeTruthy();
    expect(
      tools.flatMap((t) => [...strictWarnings(t.outputSchema, `${t.name}.outputSchema`), ...strictWarnings(t.inputSchema, `${t.name}.inputSchema`)]),
    ).toEqual([]);
  });

  test("an output object with keys beyond the seed's still validates in the client, and keeps them", async ({ sim, frames, connect }) => {
    const c = await connect();
    await c.client.listTools(); // the client validates structuredContent against the schemas it has listed
    const output = { video: 'https://example.com/v.mp4', seed: 7, timings: { total_s: 41 } };
    sim.inject({ route: 'result', status: 200, body: JSON.stringify({ status: 'succeeded', output }) });
    const r = await call(c.client, 'generate_video', {
      prompt: '@Image1 to @Image2',
      start_image_url: frames.start,
      end_image_url: frames.end,
      download: false,
    });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent!.output).toEqual(output);
  });
});

describe('resource list_changed is sent only when the list changes', () => {
  const quietThenOnce = async (client: Client, methods: string[], frames: { start: string; end: string }) => {
    await client.listTools();
    expect((await readJson<JobSummary[]>(client, 'kling://jobs')).map((j) => j.request_id)).toEqual(['job-old-1']);
    await readJson(client, 'kling://jobs/job-old-1');
    await client.listResources();
    expect(methods).not.toContain('notifications/resources/list_changed');

    const r = await call(client, 'generate_video', { prompt: 'a new job', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
    expect(r.isError).toBeFalsy();
    await until(() => methods.includes('notifications/resources/list_changed'));
  };

  test('in memory: opening a ledger that already has jobs is no change; a new job is', async ({ dir, frames, connect }) => {
    const { client, methods } = recordingClient();
    const c = await connect({ env: { KLING_MCP_STATE_DIR: stateWithAJob(dir) }, client });
    await quietThenOnce(c.client, methods, frames);
  });

  test('over stdio: nothing at start-up (the server reads its ledger when first asked), one after a submission', async ({ dir, frames, spawn }) => {
    const { client, methods } = recordingClient();
    const c = await spawn({ env: { KLING_MCP_STATE_DIR: stateWithAJob(dir) }, client });
    await quietThenOnce(c.client, methods, frames);
  });
});

describe('a bad setting', () => {
  /** Arguments each tool accepts, so the answer is the tool's own and not an argument error. */
  const VALID_ARGS: Record<string, Record<string, unknown>> = {
    generate_video: { prompt: '@Image1 to @Image2', start_image_url: 'https://example.com/a.png', end_image_url: 'https://example.com/b.png' },
    check_status: { request_id: 'abc123' },
    get_result: { request_id: 'abc123' },
    cancel: { request_id: 'abc123' },
    list_jobs: {},
    generate_storyboard: {
      shots: [{ prompt: '@Image1 to @Image2', start_image_url: 'https://example.com/a.png', end_image_url: 'https://example.com/b.png' }],
    },
    get_storyboard: { storyboard_id: 'sb-abcdef123' },
    generate_keyframes: { keyframes: [{ prompt: 'a paper boat' }] },
    generate_soundtrack: { prompt: 'soft piano', seconds: 10 },
    revise_storyboard: {
      storyboard_id: 'sb-abcdef123',
      shots: [{ prompt: '@Image1 to @Image2', start_image_url: 'https://example.com/a.png', end_image_url: 'https://example.com/b.png' }],
    },
  };

  test('over stdio: the server starts, lists its tools, and every call and job read says what to fix', async ({ sim, spawn }) => {
    const before = sim.count('submit');
    const c = await spawn({ env: { KLING_MCP_MAX_WAIT_S: 'abc', KLING_MCP_POLL_QUEUE_MS: '5-1' } });
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(MODEL_TOOLS.map((t) => t.name).sort());
    for (const { name } of tools) {
      expect(VALID_ARGS, `add valid arguments for ${name}`).toHaveProperty(name);
      const r = await call(c.client, name, VALID_ARGS[name]!);
      expect(r, name).toBeToolError('bad_config');
      expect(textOf(r)).toContain('KLING_MCP_MAX_WAIT_S="abc" is not a number between 0 and 3600.');
      expect(textOf(r)).toContain('KLING_MCP_POLL_QUEUE_MS="5-1" must look like 2000-15000');
      expect(textOf(r)).toMatch(/restart the server/);
    }
    expect(sim.count('submit')).toBe(before);

    expect((await c.client.listResources()).resources.map((r) => r.uri)).toContain('kling://jobs');
    for (const uri of ['kling://jobs', 'kling://jobs/abc123', 'kling://storyboards']) {
      const err = await readError(c.client, uri);
      expect(err.data, uri).toEqual({ code: 'bad_config' });
      expect(err.message).toContain('KLING_MCP_MAX_WAIT_S="abc"');
    }
    expect(c.stderr()).toContain('KLING_MCP_MAX_WAIT_S="abc"');
  });
});

describe('a state folder that cannot be opened', () => {
  test('cannot be created (a file is in the way): state_unavailable at once; once fixed, the next call works', async ({ dir, connect }) => {
    const blocker = path.join(dir, 'a-file');
    writeFileSync(blocker, 'in the way');
    const c = await connect({ env: { KLING_MCP_STATE_DIR: path.join(blocker, 'state') } });
    const r = await call(c.client, 'list_jobs', {});
    expect(r).toBeToolError('state_unavailable');
    expect(textOf(r)).toMatch(/KLING_MCP_STATE_DIR/);
    const read = await readError(c.client, 'kling://jobs');
    expect(read.code).toBe(ErrorCode.InternalError);
    expect(read.data).toEqual({ code: 'state_unavailable' });

    rmSync(blocker);
    const again = await call(c.client, 'list_jobs', {});
    expect(again.isError).toBeFalsy();
    expect(again.structuredContent!.total).toBe(0);
  });

  test.runIf(process.platform === 'linux' && process.getuid?.() === 0)(
    "under /proc as root (where Node's recursive mkdir spins forever): a clear error",
    async ({ connect }) => {
      const c = await connect({ env: { KLING_MCP_STATE_DIR: `/proc/kling-o1-mcp-test-${process.pid}/state` } });
      const r = await call(c.client, 'list_jobs', {});
      expect(r).toBeToolError('state_unavailable');
      expect(textOf(r)).toMatch(/\/proc\/kling-o1-mcp-test/);
    },
  );

  test('whose open hangs: the call answers state_unavailable after the limit, and a later call waits on the same open', async ({ connect }) => {
    const disk = new VirtualClock();
    const c = await connect({ diskClock: disk });
    const ledger = c.app.ledger;
    const realOpen = ledger.open.bind(ledger);
    let opens = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A file system that does not answer, until the test lets it.
    ledger.open = async () => {
      opens++;
      await gate;
      return realOpen();
    };
    const pending = call(c.client, 'list_jobs', {});
    await until(() => opens === 1);
    await disk.sleep(LEDGER_OPEN_LIMIT_MS);
    const r = await pending;
    expect(r).toBeToolError('state_unavailable');
    expect(textOf(r)).toMatch(/did not answer within \d+ s/);
    expect(textOf(r)).toMatch(/the next call tries again/);

    release();
    const again = await call(c.client, 'list_jobs', {});
    expect(again.isError).toBeFalsy();
    expect(opens).toBe(1);
  });
});

describe('the per-job resource', () => {
  test('shows its times as ISO dates, like kling://jobs', async ({ dir, connect }) => {
    const c = await connect({ env: { KLING_MCP_STATE_DIR: stateWithAJob(dir) } });
    const job = await readJson<JobDocument>(c.client, 'kling://jobs/job-old-1');
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(job).toMatchObject({
      submitted_at: iso(T0),
      updated_at: iso(T0 + 9_000),
      ended_at: iso(T0 + 9_000),
      states: [
        { status: 'in_queue', at: iso(T0 + 1_000), queue_position: 2 },
        { status: 'failed', at: iso(T0 + 9_000) },
      ],
      errors: [{ code: 'job_failed', at: iso(T0 + 9_000) }],
    });
    // Every time in the document, wherever it sits, is a date a person reads.
    const times = (v: unknown): unknown[] =>
      v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => (k === 'at' || k.endsWith('_at') ? [x] : times(x))) : [];
    for (const t of times(job)) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await readJson<JobSummary[]>(c.client, 'kling://jobs'))[0]!.submitted_at).toBe(iso(T0));
  });
});
