import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { request } from 'undici';
import { CompleteResultSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { SqliteLedger } from '../src/ledger/sqlite/ledger.js';
import type { JobSummary } from '../src/jobs/summary.js';
import type { JobDocument } from '../src/resources/jobs.js';
import type { modelSchemaDocument } from '../src/resources/model-schema.js';
import { VirtualClock } from '../src/util/clock.js';
import { createLogger } from '../src/util/log.js';
import { call, readJson, textOf, until } from './helpers.js';
import { labTest } from './lab.js';

/** Server processes over stdio run on real time, so their simulator does too. */
const processes = labTest();
/** In memory, the simulator and the server share one virtual clock: retries and the save budget cost no real time. */
const test = labTest({ clock: new VirtualClock() });

const statedSubmit = labTest({ clock: new VirtualClock(), sim: { submitAnswersState: true } });

describe('the states a job record holds', () => {
  test('a job answered at once is "submitted": no state is claimed that nobody saw, and its record holds none', async ({ frames, connect }) => {
    const c = await connect();
    const r = await call(c.client, 'generate_video', { prompt: 'unseen', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
    expect(r.structuredContent!.status).toBe('submitted');
    const doc = await readJson<JobDocument>(c.client, `kling://jobs/${r.structuredContent!.request_id}`);
    expect(doc.states).toEqual([]);
  });

  statedSubmit('a state the submit answer gives is one seen: answered and recorded', async ({ frames, connect }) => {
    const c = await connect();
    const r = await call(c.client, 'generate_video', { prompt: 'seen', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
    expect(r.structuredContent!.status).toBe('in_queue');
    const doc = await readJson<JobDocument>(c.client, `kling://jobs/${r.structuredContent!.request_id}`);
    expect(doc.states.map((s) => s.status)).toEqual(['in_queue']);
  });
});

describe('nothing paid for is lost', () => {
  processes(
    'a server killed with SIGKILL right after the submission was accepted: the restarted server lists the job and saves its result',
    async ({ sim, frames, spawn }) => {
      // Long enough that it cannot finish before the kill, however slow the machine; it is ended once the server is dead.
      sim.planNext({ queueMs: 600_000, runMs: 600_000 });
      const first = await spawn();
      const submitted = sim.submissions;
      const pending = call(first.client, 'generate_video', {
        prompt: 'crash me',
        start_image_url: frames.start,
        end_image_url: frames.end,
        wait_seconds: 60,
      }).catch(() => undefined);
      await until(() => sim.submissions > submitted);
      const id = [...sim.jobs.keys()].at(-1)!;
      // The first status poll comes after the ledger write; kill the server as soon as it starts polling.
      await until(() => sim.requests.some((r) => r.route === 'status' && r.path.includes(id)));
      process.kill(first.transport.pid!, 'SIGKILL');
      await pending;
      const job = sim.jobs.get(id)!;
      job.plan = { ...job.plan, queueMs: 0, runMs: 0 };

      const second = await spawn();
      const unfinished = await call(second.client, 'list_jobs', { status: 'unfinished' });
      expect(unfinished.structuredContent!.jobs.map((j: { request_id: string }) => j.request_id)).toContain(id);
      const r = await call(second.client, 'get_result', { request_id: id, wait_seconds: 20 });
      expect(r.structuredContent).toMatchObject({ request_id: id, status: 'completed' });
      const file = r.structuredContent!.files![0]!;
      expect(existsSync(file.path)).toBe(true);
      const done = await call(second.client, 'list_jobs', { status: 'completed' });
      expect(done.structuredContent!.jobs.find((j) => j.request_id === id)).toMatchObject({ file: file.path, prompt: 'crash me' });
      expect(sim.submissions).toBe(submitted + 1);
    },
  );

  processes(
    'two server processes sharing one ledger, 50 jobs each, lose nothing',
    async ({ frames, dir, spawn }) => {
      const servers = await Promise.all([spawn(), spawn()]);
      const ids = await Promise.all(
        servers.flatMap((s, n) =>
          Array.from({ length: 50 }, async (_, i) => {
            const r = await call(s.client, 'generate_video', {
              prompt: `server ${n} job ${i}`,
              start_image_url: frames.start,
              end_image_url: frames.end,
              wait_seconds: 0,
            });
            expect(r.isError, textOf(r)).toBeFalsy();
            return r.structuredContent!.request_id as string;
          }),
        ),
      );
      expect(new Set(ids).size).toBe(100);
      const ledger = new SqliteLedger(path.join(dir, 'state'), createLogger('silent'));
      await ledger.open();
      const jobs = (await ledger.jobs({ limit: 200 })).items;
      await ledger.close();
      expect(jobs.map((j) => j.request_id).sort()).toEqual([...ids].sort());
      for (const j of jobs) expect(j.input?.prompt).toMatch(/^server [01] job \d+$/);
      const listed = await call(servers[0]!.client, 'list_jobs', { limit: 200 });
      expect(listed.structuredContent!.total).toBe(100);
    },
    60_000,
  );

  test('a download cut off midway leaves no file under the final name; the next call completes it with the right sha256', async ({
    sim,
    frames,
    dir,
    connect,
  }) => {
    const c = await connect();
    const gen = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
    const id = gen.structuredContent!.request_id;
    await call(c.client, 'check_status', { request_id: id, wait_seconds: 20 });
    await call(c.client, 'get_result', { request_id: id, wait_seconds: 20, download: false });
    sim.inject({ route: 'output', reset: 'mid-body', status: 200, times: 20, headers: { 'content-type': 'video/mp4' } });
    const cut = await call(c.client, 'get_result', { request_id: id });
    sim.clearFaults();
    expect(cut.isError).toBeFalsy();
    expect(cut.structuredContent!.status).toBe('completed');
    expect(cut.structuredContent!.download_error).toMatch(/Saving the result failed/);
    expect(cut.structuredContent!.output!.video).toBeTruthy();
    const outDir = path.join(dir, 'out');
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);

    const ok = await call(c.client, 'get_result', { request_id: id });
    const file = ok.structuredContent!.files![0]!;
    const served = Buffer.from(await (await request(ok.structuredContent!.output!.video!)).body.arrayBuffer());
    expect(file.sha256).toBe(createHash('sha256').update(served).digest('hex'));
    expect(createHash('sha256').update(readFileSync(file.path)).digest('hex')).toBe(file.sha256);
    expect(readdirSync(outDir)).toEqual([path.basename(file.path)]);

    // Already saved whole: not fetched again.
    const outputsBefore = sim.count('output');
    await call(c.client, 'get_result', { request_id: id });
    expect(sim.count('output')).toBe(outputsBefore);
  });

  test("saving that outlasts the call's time is cut off: the answer comes in time, with the URL, and a later call saves it", async ({
    sim,
    frames,
    connect,
  }) => {
    const c = await connect({ env: { KLING_MCP_MAX_WAIT_S: '2' } });
    const gen = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, download: false });
    const id = gen.structuredContent!.request_id;
    // The output answers after 8 s of the shared clock, the call may save for 5 s (the least a save is given): only its budget can end the call with these words.
    sim.inject({ route: 'output', holdMs: 8000, status: 503 });
    const slow = await call(c.client, 'get_result', { request_id: id });
    expect(slow.structuredContent!.status).toBe('completed');
    expect(slow.structuredContent!.output!.video).toBeTruthy();
    expect(slow.structuredContent!.download_error).toMatch(/did not finish within this call's time \(5 s\)/);
    const ok = await call(c.client, 'get_result', { request_id: id });
    expect(ok.structuredContent!.files).toHaveLength(1);
  });

  test('a state folder that cannot be created: a clear error, and nothing is submitted', async ({ sim, frames, dir, connect }) => {
    writeFileSync(path.join(dir, 'a-file'), 'in the way');
    const c = await connect({ env: { KLING_MCP_STATE_DIR: path.join(dir, 'a-file', 'state') } });
    const before = sim.count('submit');
    const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end });
    expect(r).toBeToolError('state_unavailable');
    expect(textOf(r)).toMatch(/KLING_MCP_STATE_DIR/);
    expect(sim.count('submit')).toBe(before);
  });

  test('a torn last line, a corrupt line and a foreign file are reported and skipped, never fatal', async ({ dir: root }) => {
    const dir = path.join(root, 'state');
    mkdirSync(dir, { recursive: true });
    const at = Date.now();
    writeFileSync(path.join(dir, 'notes.txt'), 'not ours');
    appendFileSync(
      path.join(dir, 'jobs.jsonl'),
      `${JSON.stringify({ t: 'submitted', id: 'job-a', at, input: { prompt: 'a', start_image_url: 'u', end_image_url: 'v', duration: 5 } })}\n`,
    );
    appendFileSync(path.join(dir, 'jobs.jsonl'), 'this is not json\n{"t":"state","id":"job-a","at":1,"status":"in_pro');
    const logs: string[] = [];
    const ledger = new SqliteLedger(
      dir,
      createLogger('warn', (l) => logs.push(l)),
    );
    await ledger.open();
    await ledger.record('state', 'job-a', { status: 'in_progress' }, at + 1);
    const job = await ledger.job('job-a');
    await ledger.close();
    expect(job?.status).toBe('in_progress');
    expect(logs.join('')).toMatch(/notes\.txt/);
    expect(logs.join('')).toMatch(/skipping unreadable line 2/);
    expect(logs.join('')).toMatch(/skipping unreadable line 3/);
  });

  test('resources: model schema, job list, one job by template, completion of ids, and update notifications', async ({ frames, connect }) => {
    const c = await connect();
    const { resources } = await c.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['kling://model/schema', 'kling://jobs']));
    const schema = await readJson<ReturnType<typeof modelSchemaDocument>>(c.client, 'kling://model/schema');
    expect(schema.image_rules[0]!.validation_error).toBe('File size must be less than 10 MB.');
    expect(schema.input.properties.duration?.enum).toEqual([5, 10]);

    await c.client.subscribeResource({ uri: 'kling://jobs' });
    const updates: string[] = [];
    c.client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => {
      updates.push(n.params.uri);
    });
    const gen = await call(c.client, 'generate_video', { prompt: 'resource test', start_image_url: frames.start, end_image_url: frames.end });
    const id = gen.structuredContent!.request_id as string;
    await until(() => updates.includes('kling://jobs'));

    const templates = await c.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain('kling://jobs/{request_id}');
    const listed = await c.client.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain(`kling://jobs/${id}`);
    const one = await readJson<JobDocument>(c.client, `kling://jobs/${id}`);
    expect(one.states.map((s) => s.status)).toContain('completed');
    expect(one.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const jobs = await readJson<JobSummary[]>(c.client, 'kling://jobs');
    expect(jobs[0]!.request_id).toBe(id);

    const completion = await c.client.request(
      {
        method: 'completion/complete',
        params: { ref: { type: 'ref/resource', uri: 'kling://jobs/{request_id}' }, argument: { name: 'request_id', value: id.slice(0, 4) } },
      },
      CompleteResultSchema,
    );
    expect(completion.completion.values).toContain(id);
  });
});
