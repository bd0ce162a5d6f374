import { describe, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { probeClip } from '../src/media/probe.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, connectStdio, simEnv, textOf } from './helpers.js';
import { labTest } from './lab.js';

/** In memory, the simulator and the server share a VirtualClock; the built bin over stdio runs on real time. */
const labs = {
  'in memory': labTest({ clock: new VirtualClock() }).extend('c', { scope: 'file' }, ({ shared }): { client: Client } => shared),
  'over stdio (built bin)': labTest().extend('c', { scope: 'file' }, async ({ sim, sharedDir }, { onCleanup }): Promise<{ client: Client }> => {
    const c = await connectStdio(simEnv(sim, sharedDir));
    onCleanup(c.close);
    return c;
  }),
};

describe.each(Object.keys(labs) as (keyof typeof labs)[])('the tools end to end, %s, against the simulator', (transport) => {
  const it = labs[transport];

  it('lists the tools with input and output schemas', async ({ c }) => {
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'cancel',
      'check_status',
      'generate_keyframes',
      'generate_soundtrack',
      'generate_storyboard',
      'generate_video',
      'get_result',
      'get_storyboard',
      'list_jobs',
      'revise_storyboard',
    ]);
    const gen = tools.find((t) => t.name === 'generate_video')!;
    // The end frame is optional on the engines that make it so; the seed's own check asks for it.
    expect(gen.inputSchema.required).toEqual(['prompt', 'start_image_url']);
    expect(Object.keys(gen.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['end_image_url', 'duration', 'sound', 'model']));
    expect(gen.outputSchema).toBeTruthy();
    expect(gen.annotations?.openWorldHint).toBe(true);
  });

  it('generate_video: checks, submits once, reports progress, returns and saves the video', async ({ sim, frames, c }) => {
    const progress: { progress: number; message?: string }[] = [];
    const before = sim.submissions;
    const r = await call(c.client, 'generate_video', { prompt: '@Image1 turns into @Image2', start_image_url: frames.start, end_image_url: frames.end }, (p) =>
      progress.push(p),
    );
    expect(r.isError).toBeFalsy();
    expect(sim.submissions - before).toBe(1);
    const s = r.structuredContent!;
    expect(s.status).toBe('completed');
    expect(s.done).toBe(true);
    expect(s.output!.video).toMatch(/\/outputs\/.+\.mp4$/);
    expect(s.checks!.start_image_url).toMatchObject({ format: 'png', width: 640, height: 360 });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    expect(progress[0]!.message).toMatch(/(in_queue|in_progress).*s elapsed/);
    const file = s.files![0]!;
    expect(existsSync(file.path)).toBe(true);
    const bytes = readFileSync(file.path);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    const clip = await probeClip(file.path);
    expect(clip.codec).toBe('avc');
    expect(clip.frames).toBeGreaterThan(1);
    expect(r.content.some((b) => b.type === 'resource_link' && b.uri.startsWith('file://'))).toBe(true);
    expect(textOf(r)).toContain('Video ready');
  });

  it('an engine with sound (Kling 3.0 Pro, sound: true): one submission, the clip saved with its AAC sound', async ({ sim, frames, c }) => {
    const before = sim.submissions;
    const r = await call(c.client, 'generate_video', {
      prompt: '@Image1 rings like a bell into @Image2',
      start_image_url: frames.start,
      end_image_url: frames.end,
      model: 'kling/kling-3.0/pro/image-to-video',
      sound: true,
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(sim.submissions - before).toBe(1);
    expect(r.structuredContent).toMatchObject({ status: 'completed', model: 'kling/kling-3.0/pro/image-to-video' });
    const clip = await probeClip(r.structuredContent!.files![0]!.path);
    expect(clip.codec).toBe('avc');
    expect(clip.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000 });
    expect(Math.abs(clip.audio!.durationS - clip.durationS)).toBeLessThan(0.05);
  });

  it('wait_seconds: 0 returns the request_id right after submitting; get_result waits for it', async ({ frames, c }) => {
    const r = await call(c.client, 'generate_video', {
      prompt: 'a walk',
      start_image_url: frames.start,
      end_image_url: frames.end,
      duration: 10,
      wait_seconds: 0,
    });
    expect(r.isError).toBeFalsy();
    const id = r.structuredContent!.request_id as string;
    expect(r.structuredContent!.done).toBe(false);
    // RunComfy's submit answer carries no state, so none is claimed: the job is sent, not yet seen queued.
    expect(r.structuredContent!.status).toBe('submitted');
    expect(textOf(r)).toContain('get_result');
    const st = await call(c.client, 'check_status', { request_id: id });
    expect(['in_queue', 'in_progress', 'completed']).toContain(st.structuredContent!.status);
    const notYet = await call(c.client, 'get_result', { request_id: id });
    expect(notYet.isError).toBeFalsy();
    const done = await call(c.client, 'get_result', { request_id: id, wait_seconds: 20 });
    expect(done.structuredContent!.status).toBe('completed');
    expect(done.structuredContent!.files).toHaveLength(1);
  });

  it("check_status on a failed job says why, in RunComfy's words (the status alone says only 'failed')", async ({ sim, frames, c }) => {
    sim.planNext({ queueMs: 0, runMs: 500, failWith: { error: { message: 'The prompt was refused by the content policy.' } } });
    const r = await call(c.client, 'generate_video', { prompt: 'refused', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
    const id = r.structuredContent!.request_id;
    let st = await call(c.client, 'check_status', { request_id: id, wait_seconds: 20 });
    for (let i = 0; i < 3 && st.structuredContent!.status !== 'failed'; i++) st = await call(c.client, 'check_status', { request_id: id, wait_seconds: 20 });
    expect(st.structuredContent).toMatchObject({ status: 'failed', done: true, error: 'The prompt was refused by the content policy.' });
    expect(textOf(st)).toMatch(/failed.*The prompt was refused by the content policy\./);
    // Read once: asked again, the recorded reason answers.
    const results = sim.count('result');
    const again = await call(c.client, 'check_status', { request_id: id });
    expect(again.structuredContent!.error).toBe('The prompt was refused by the content policy.');
    expect(sim.count('result')).toBe(results);
  });

  it('check_status on a failed job whose result cannot be read now still answers its state', async ({ sim, frames, c }) => {
    sim.planNext({ queueMs: 0, runMs: 500, failWith: {} });
    const r = await call(c.client, 'generate_video', { prompt: 'unreadable', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
    const id = r.structuredContent!.request_id;
    sim.injectError('result', 403001, { times: 1_000 });
    try {
      let st = await call(c.client, 'check_status', { request_id: id, wait_seconds: 20 });
      for (let i = 0; i < 3 && st.structuredContent!.status !== 'failed'; i++) st = await call(c.client, 'check_status', { request_id: id, wait_seconds: 20 });
      expect(st.isError, textOf(st)).toBeFalsy();
      expect(st.structuredContent).toMatchObject({ status: 'failed', done: true, error: 'RunComfy reported the state "failed".' });
    } finally {
      sim.clearFaults();
    }
  });

  it('cancel works while queued and explains why not while in progress', async ({ sim, frames, c }) => {
    sim.planNext({ queueMs: 60_000, runMs: 1000 });
    const queued = await call(c.client, 'generate_video', { prompt: 'x', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
    const id = queued.structuredContent!.request_id;
    const r = await call(c.client, 'cancel', { request_id: id });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ cancelled: true, status: 'cancelled' });
    // What RunComfy charged, from the job's result: the same figure get_result shows.
    expect(r.structuredContent!.cost).toMatchObject({ charged_usd: 0 });
    expect((await call(c.client, 'get_result', { request_id: id })).structuredContent!.cost).toMatchObject({ charged_usd: 0 });

    sim.planNext({ queueMs: 0, runMs: 60_000 });
    const running = await call(c.client, 'generate_video', { prompt: 'y', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
    const r2 = await call(c.client, 'cancel', { request_id: running.structuredContent!.request_id });
    expect(r2.structuredContent).toMatchObject({ cancelled: false, status: 'in_progress' });
    expect(textOf(r2)).toMatch(/cannot be cancelled/);
  });

  it('the wait budget returns the request_id and status instead of failing', async ({ sim, frames, c }) => {
    sim.planNext({ queueMs: 0, runMs: 60_000 });
    const r = await call(c.client, 'generate_video', { prompt: 'slow', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 1 });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ status: 'in_progress', done: false });
    expect(textOf(r)).toContain(r.structuredContent!.request_id);
    expect(textOf(r)).toMatch(/get_result/);
  });
});
