/**
 * The Kling engines through a real client against the simulator: each engine's
 * clip sent with its own field names and defaults (never RunComfy's costly
 * ones) and priced by its own rule, and every input an engine cannot take
 * refused with nothing sent.
 */
import { describe, expect } from 'vitest';
import { engines } from '../src/models/clip.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, keyframes, startSim, textOf } from './helpers.js';
import { labTest } from './lab.js';

const clock = new VirtualClock();
const test = labTest({ clock })
  .extend('clip', ({ frames }) => (extra: Record<string, unknown> = {}) => ({
    prompt: 'a lantern sways in the wind',
    start_image_url: frames.start,
    end_image_url: frames.end,
    ...extra,
  }))
  // An account with $1.50 left.
  // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from its first parameter: none is {}
  .extend('poorSim', { scope: 'file' }, async ({}, { onCleanup }) => {
    const sim = await startSim({ clock, balanceUsd: 1.5 });
    onCleanup(() => sim.stop());
    return sim;
  });

/** What each engine is asked for, the body it must get (by field name) and what the clip costs at the simulator's prices. */
const CASES: { key: string; args: Record<string, unknown>; body: (f: { start: string; end: string }) => Record<string, unknown>; usd: number }[] = [
  {
    key: 'kling-3.0-standard-image-to-video',
    args: { end_image_url: undefined },
    body: (f) => ({
      prompt: expect.any(String),
      start_image_url: f.start,
      duration: 5,
      generate_audio: false,
      cfg_scale: 0.5,
      negative_prompt: '',
      shot_type: 'customize',
    }),
    // $0.084 a second without sound, as its model page says.
    usd: 0.42,
  },
  {
    key: 'kling-3.0-pro-image-to-video',
    args: { sound: true },
    body: (f) => ({
      prompt: expect.any(String),
      start_image_url: f.start,
      end_image_url: f.end,
      duration: 5,
      generate_audio: true,
      cfg_scale: 0.5,
      negative_prompt: '',
      shot_type: 'customize',
    }),
    usd: 0.84,
  },
  {
    key: 'kling-3.0-4k-image-to-video',
    args: { duration: 3, sound: true },
    body: (f) => ({
      prompt: expect.any(String),
      start_image_url: f.start,
      end_image_url: f.end,
      duration: 3,
      generate_audio: true,
      cfg_scale: 0.5,
      negative_prompt: '',
      shot_type: 'customize',
    }),
    usd: 1.26,
  },
  {
    key: 'kling-o3-standard-image-to-video',
    args: { sound: true, end_image_url: undefined },
    body: (f) => ({ prompt: expect.any(String), image: f.start, duration: 5, shot_type: 'customize', sound: true }),
    // The simulator's base $0.09 a second, a third more with sound.
    usd: 0.6,
  },
  {
    key: 'kling-o3-pro-image-to-video',
    args: { duration: 15 },
    body: (f) => ({ prompt: expect.any(String), image: f.start, end_image: f.end, duration: 15, shot_type: 'customize', sound: false }),
    usd: 1.8,
  },
  {
    key: 'kling-o3-4k-image-to-video',
    args: { duration: 4, sound: true },
    body: (f) => ({ prompt: expect.any(String), image: f.start, end_image: f.end, duration: 4, shot_type: 'customize', sound: true }),
    usd: 1.68,
  },
];

describe('the engines', () => {
  test('the registry holds the seed and the six engines, each with its own id (RunComfy spells 4k and 4K differently)', () => {
    expect(engines().map((m) => m.id)).toEqual([
      DEFAULT_MODEL.id,
      'kling/kling-3.0/standard/image-to-video',
      'kling/kling-3.0/pro/image-to-video',
      'kling/kling-3.0/4k/image-to-video',
      'kling/kling-video-o3/standard/image-to-video',
      'kling/kling-video-o3/pro/image-to-video',
      'kling/kling-video-o3/4K/image-to-video',
    ]);
  });

  test.for(CASES)(
    '$key: one clip, its body by its own field names, priced by its own rule',
    async ({ key, args, body, usd }, { shared, sim, frames, clip }) => {
      const r = await call(shared.client, 'generate_video', clip({ model: key, ...args }));
      expect(r.isError, textOf(r)).toBeFalsy();
      const id = r.structuredContent!.request_id;
      const job = sim.jobs.get(id)!;
      expect(job.model.key).toBe(key);
      expect(job.sent).toEqual(body(frames));
      expect(r.structuredContent!.cost).toEqual({ estimate_usd: usd, charged_usd: usd });
      expect(r.structuredContent!.files![0]!.path).toMatch(/\.mp4$/);
    },
  );

  test('the engine may be named by its RunComfy id, in any case', async ({ shared, sim, clip }) => {
    const r = await call(shared.client, 'generate_video', clip({ model: 'kling/kling-video-o3/4k/image-to-video', wait_seconds: 0 }));
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(sim.jobs.get(r.structuredContent!.request_id)!.model.id).toBe('kling/kling-video-o3/4K/image-to-video');
  });
});

describe('what an engine cannot take is refused by name, and nothing is sent', () => {
  const REFUSED: { name: string; args: Record<string, unknown>; says: RegExp }[] = [
    {
      name: 'an unknown engine',
      args: { model: 'kling-9' },
      says: /model "kling-9" is not an engine this server offers; use one of kling-o1-image-to-video, .*kling-o3-4k-image-to-video/,
    },
    {
      name: 'an end frame on 3.0 Standard',
      args: { model: 'kling-3.0-standard-image-to-video' },
      says: /Kling 3\.0 Standard takes no end frame, so it cannot take end_image_url; the engines that do: kling-o1-image-to-video, kling-3\.0-pro-image-to-video/,
    },
    { name: 'a length the seed does not make', args: { duration: 7 }, says: /duration 7 is not a length Kling O1 makes: it makes 5 or 10 seconds/ },
    { name: 'sound on the seed', args: { sound: true }, says: /Kling O1 makes no sound; the engines that do: kling-3\.0-standard-image-to-video/ },
    { name: 'no end frame on the seed', args: { end_image_url: undefined }, says: /end_image_url is required by Kling O1/ },
  ];
  test.for(REFUSED)('$name', async ({ args, says }, { shared, sim, clip }) => {
    const before = sim.requests.length;
    const r = await call(shared.client, 'generate_video', clip(args));
    expect(r).toBeToolError('invalid_input');
    expect(textOf(r)).toMatch(says);
    expect(textOf(r)).toMatch(/Nothing was submitted/);
    // Refused before a frame was read or anything asked of RunComfy.
    expect(sim.requests.length).toBe(before);
  });

  test('a length no engine makes is refused by the arguments themselves', async ({ shared, sim, clip }) => {
    const before = sim.submissions;
    const r = await call(shared.client, 'generate_video', clip({ model: 'kling-3.0-pro-image-to-video', duration: 20 }));
    expect(textOf(r)).toMatch(/duration must be a whole number of seconds from 3 to 15/);
    expect(sim.submissions).toBe(before);
  });
});

describe('the balance', () => {
  test('work over the balance is refused before it is sent, naming both figures', async ({ connect, poorSim }) => {
    const c = await connect({ sim: poorSim });
    const f = await keyframes(poorSim);
    const args = { prompt: 'p', start_image_url: f.start, end_image_url: f.end, model: 'kling-3.0-4k-image-to-video', sound: true };
    const r = await call(c.client, 'generate_video', args);
    expect(r).toBeToolError('insufficient_credits');
    expect(textOf(r)).toMatch(/would cost about \$2\.10, more than your RunComfy balance of \$1\.50/);
    expect(poorSim.submissions).toBe(0);
    // What the balance covers goes through.
    const ok = await call(c.client, 'generate_video', { ...args, model: undefined, sound: undefined, wait_seconds: 0 });
    expect(ok.isError, textOf(ok)).toBeFalsy();
    expect(poorSim.submissions).toBe(1);
  });

  test('a quote carries the balance and where each price comes from', async ({ connect, clip }) => {
    const c = await connect({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.10' } });
    const r = await call(c.client, 'generate_video', clip({ model: 'kling-3.0-pro-image-to-video', sound: true }));
    expect(r).toBeToolError('confirmation_required');
    expect(textOf(r)).toMatch(/prices: Kling 3\.0 Pro with sound \$0\.168\/second \(RunComfy's agent-skill repository\)/);
    expect(textOf(r)).toMatch(/your RunComfy balance is \$[\d,]+\.\d\d/);
  });
});

describe("RunComfy's live schema of each engine", () => {
  const PRO = 'kling/kling-3.0/pro/image-to-video';
  const reads = (sim: { requests: { route: string; path: string }[] }, id: string) =>
    sim.requests.filter((q) => q.route === 'model' && q.path === `/v1/models/${id}`).length;

  test('a change that touches what is sent refuses the work before anything is paid for, naming it and what to do', async ({ sim, connect, clip }) => {
    sim.changeSchema(PRO, { require: 'seed' });
    try {
      const c = await connect();
      const before = sim.count('submit');
      const r = await call(c.client, 'generate_video', clip({ model: 'kling-3.0-pro-image-to-video' }));
      expect(r).toBeToolError('model_changed');
      expect(textOf(r)).toMatch(/Nothing was submitted\. RunComfy has changed the input of kling\/kling-3\.0\/pro\/image-to-video .*`seed` is now required/);
      expect(textOf(r)).toMatch(/Update kling-o1-mcp/);
      expect(sim.count('submit')).toBe(before);
    } finally {
      sim.restoreSchemas();
    }
  });

  test('frame rules RunComfy publishes for an engine that has none here are checked, in its words', async ({ sim, connect, clip }) => {
    const rule = { validation_rule: 'width_pixels>', validation_value: 1000, validation_error: 'The image must be wider than 1000 pixels.' };
    sim.changeSchema('kling/kling-video-o3/pro/image-to-video', { field: 'image', validations: [rule] });
    try {
      const c = await connect();
      const before = sim.count('submit');
      const r = await call(c.client, 'generate_video', clip({ model: 'kling-o3-pro-image-to-video' }));
      expect(r).toBeToolError('image_rejected');
      expect(textOf(r)).toMatch(/start_image_url: The image must be wider than 1000 pixels\. \(got width 640 px\)/);
      expect(sim.count('submit')).toBe(before);
    } finally {
      sim.restoreSchemas();
    }
  });

  test('read at most once a day per model, across processes sharing a ledger; a read that fails blocks nothing', async ({ sim, connect, clip }) => {
    const [a, b] = [await connect(), await connect()];
    const before = reads(sim, PRO);
    for (const c of [a, b]) {
      const r = await call(c.client, 'generate_video', clip({ model: 'kling-3.0-pro-image-to-video', wait_seconds: 0 }));
      expect(r.isError, textOf(r)).toBeFalsy();
    }
    expect(reads(sim, PRO)).toBe(before + 1);
    // A day later it is read again: this time RunComfy does not answer, and the clip is submitted all the same.
    await clock.sleep(24 * 3_600_000);
    sim.inject({ route: 'model', status: 500, times: 10 });
    const submits = sim.submissions;
    const r = await call(a.client, 'generate_video', clip({ model: 'kling-3.0-pro-image-to-video', wait_seconds: 0 }));
    sim.clearFaults();
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(sim.submissions).toBe(submits + 1);
    expect(a.logs.some((l) => /could not read RunComfy's live input schema of kling\/kling-3\.0\/pro\/image-to-video/.test(l))).toBe(true);
  });
});
