/**
 * The Kling engines through a real client against the simulator: each engine's
 * clip sent with its own field names and defaults (never RunComfy's costly
 * ones) and priced by its own rule, and every input an engine cannot take
 * refused with nothing sent.
 */
import { describe, expect } from 'vitest';
import { AAC_FRAME_SAMPLES } from '../src/media/aac.js';
import { mp3File } from '../src/media/mp3.js';
import { probeClip } from '../src/media/probe.js';
import { engines } from '../src/models/clip.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, image, keyframes, startSim, textOf } from './helpers.js';
import { labTest } from './lab.js';

const clock = new VirtualClock();
const test = labTest({ clock })
  .extend('clip', ({ frames }) => (extra: Record<string, unknown> = {}) => ({
    prompt: 'a lantern sways in the wind',
    start_image_url: frames.start,
    end_image_url: frames.end,
    ...extra,
  }))
  // Four keyframes of one size: shot i goes from k[i-1] to k[i].
  .extend('chain', { scope: 'file' }, async ({ sim }) => {
    const k = await Promise.all(
      ['#c03030', '#30c030', '#3030c0', '#c0c030'].map(async (c, i) => sim.host(`k${i}.png`, await image(640, 360, 'png', c), 'image/png')),
    );
    return (n: number, extra: Record<string, unknown>[] = []) =>
      Array.from({ length: n }, (_, i) => ({ prompt: `shot ${i + 1}`, start_image_url: k[i]!, end_image_url: k[i + 1]!, ...extra[i] }));
  })
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

  test('a change that touches what is sent refuses the work before anything is paid for, naming it and what to do', async ({ sim, connect, clip, chain }) => {
    sim.changeSchema(PRO, { require: 'seed' });
    try {
      const c = await connect();
      const before = sim.count('submit');
      const r = await call(c.client, 'generate_video', clip({ model: 'kling-3.0-pro-image-to-video' }));
      expect(r).toBeToolError('model_changed');
      expect(textOf(r)).toMatch(/Nothing was submitted\. RunComfy has changed the input of kling\/kling-3\.0\/pro\/image-to-video .*`seed` is now required/);
      expect(textOf(r)).toMatch(/Update kling-o1-mcp/);
      // A board with a shot on that engine is refused whole, naming the shot.
      const board = await call(c.client, 'generate_storyboard', { shots: chain(2, [{}, { model: 'kling-3.0-pro-image-to-video' }]) });
      expect(board).toBeToolError('model_changed');
      expect(textOf(board)).toMatch(/shot 2: RunComfy has changed the input of kling\/kling-3\.0\/pro\/image-to-video/);
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

  test('one read of a model page serves its live schema and its price: a call on an engine whose price is not published asks once', async ({
    sim,
    connect,
    clip,
  }) => {
    const O3 = 'kling/kling-video-o3/pro/image-to-video';
    const c = await connect();
    const before = reads(sim, O3);
    const r = await call(c.client, 'generate_video', clip({ model: 'kling-o3-pro-image-to-video', wait_seconds: 0 }));
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(textOf(r)).toMatch(/about \$\d+\.\d\d expected/);
    expect(reads(sim, O3)).toBe(before + 1);
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

describe('boards on the engines', () => {
  test('a board on one engine with sound: each shot sent by its engine’s names, the film carries picture and sound', async ({ shared, sim, chain }) => {
    const before = sim.submissions;
    const r = await call(shared.client, 'generate_storyboard', { model: 'kling-3.0-pro-image-to-video', sound: true, shots: chain(3), wait_seconds: 600 });
    const v = r.structuredContent!;
    expect(v.status, textOf(r)).toBe('completed');
    expect(sim.submissions).toBe(before + 3);
    for (const s of v.shots) {
      expect(s).toMatchObject({ model: 'kling/kling-3.0/pro/image-to-video', sound: true, duration: 5 });
      expect(sim.jobs.get(s.request_id!)!.sent).toMatchObject({ generate_audio: true, duration: 5, end_image_url: expect.any(String) });
    }
    expect(v.costs.this_call).toMatchObject({ estimate_usd: 2.52 });
    expect(textOf(r)).toMatch(/shot 1 \(5 s, Kling 3\.0 Pro, with sound\)/);
    // Read back with mediabunny: one video track and the clips' AAC, as long as the picture to within one audio frame.
    const film = await probeClip(v.film!.path);
    expect(film.durationS).toBeCloseTo(15, 1);
    expect(film.audio).toMatchObject({ codec: 'aac' });
    expect(Math.abs(film.audio!.durationS - 15)).toBeLessThanOrEqual(AAC_FRAME_SAMPLES / 48_000);
    expect(v.film!.audio).toMatchObject({ from: 'clips', codec: 'aac' });
  });

  test('engines mixed where their clips join: one film, the silent shot filled with silence; the warning came with the quote', async ({
    connect,
    sim,
    chain,
  }) => {
    const c = await connect({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.50' } });
    const args = { shots: chain(2, [{}, { model: 'kling-3.0-pro-image-to-video', sound: true }]), wait_seconds: 600 };
    const quoted = await call(c.client, 'generate_storyboard', args);
    expect(quoted).toBeToolError('confirmation_required');
    expect(textOf(quoted)).toMatch(/This board mixes engines: Kling O1 \(shot 1\), Kling 3\.0 Pro \(shot 2\)\. Clips of different engines .* cannot be joined/);
    expect(textOf(quoted)).toMatch(/prices: Kling O1 \$0\.112\/second \(RunComfy's model page\); Kling 3\.0 Pro with sound \$0\.168\/second/);
    const token = /confirm_quote: "([^"]+)"/.exec(textOf(quoted))![1]!;
    const before = sim.submissions;
    const r = await call(c.client, 'generate_storyboard', { ...args, confirm_quote: token });
    const v = r.structuredContent!;
    expect(v.status, textOf(r)).toBe('completed');
    expect(sim.submissions).toBe(before + 2);
    expect(v.warnings.join(' ')).toMatch(/mixes engines/);
    expect(v.film!.audio).toMatchObject({ from: 'clips', silent_shots: [1] });
    expect((await probeClip(v.film!.path)).audio).toMatchObject({ codec: 'aac' });
  });

  test('engines mixed where their clips cannot join (4K beside the seed): no film, the shots that differ named, every clip kept', async ({ shared, chain }) => {
    const r = await call(shared.client, 'generate_storyboard', { shots: chain(2, [{}, { model: 'kling-o3-4k-image-to-video' }]), wait_seconds: 600 });
    const v = r.structuredContent!;
    expect(v.status, textOf(r)).toBe('completed');
    expect(v.film).toBeNull();
    expect(v.film_error).toMatch(/shot 2/);
    expect(v.shots.map((s) => s.files?.length)).toEqual([1, 1]);
    expect(textOf(r)).toMatch(/Film not stitched/);
  });

  test('an engine without end frames cannot make a board: refused whole, naming the engines that can, nothing read or sent', async ({ shared, sim, chain }) => {
    const before = sim.requests.length;
    const r = await call(shared.client, 'generate_storyboard', { shots: chain(2, [{}, { model: 'kling-3.0-standard-image-to-video' }]) });
    expect(r).toBeToolError('invalid_input');
    expect(textOf(r)).toMatch(
      /shot 2: Kling 3\.0 Standard takes no end frame, so it cannot take the end frame every shot of a board ends on; the engines that do: kling-o1-image-to-video, kling-3\.0-pro/,
    );
    expect(sim.requests.length).toBe(before);
  });

  test('sound under a soundtrack is allowed, and the answer says the soundtrack wins', async ({ shared, sim, chain }) => {
    const track = sim.host('score.mp3', Buffer.from(mp3File({ seconds: 12, seed: 'score' })), 'audio/mpeg');
    const r = await call(shared.client, 'generate_storyboard', {
      model: 'kling-o3-pro-image-to-video',
      sound: true,
      shots: chain(2),
      soundtrack: track,
      wait_seconds: 600,
    });
    const v = r.structuredContent!;
    expect(v.status, textOf(r)).toBe('completed');
    expect(v.warnings.join(' ')).toMatch(/Shots 1, 2 ask for sound, but the soundtrack wins/);
    expect(v.film!.audio).toMatchObject({ from: 'soundtrack' });
  });

  test('a revision moving a shot to an engine with stricter frame rules checks its frames again, under those rules', async ({ shared, sim }) => {
    // 250×200 px: Kling 3.0 publishes no frame rules; the seed wants more than 300 px a side.
    const small = await Promise.all(['#aa3030', '#30aa30'].map(async (c, i) => sim.host(`small-${i}.png`, await image(250, 200, 'png', c), 'image/png')));
    const shots = [{ prompt: 'a small lantern', start_image_url: small[0]!, end_image_url: small[1]! }];
    const made = await call(shared.client, 'generate_storyboard', { model: 'kling-3.0-pro-image-to-video', shots, wait_seconds: 600 });
    expect(made.structuredContent!.status, textOf(made)).toBe('completed');
    const before = sim.submissions;
    const moved = await call(shared.client, 'revise_storyboard', {
      storyboard_id: made.structuredContent!.storyboard_id,
      shots: [{ ...shots[0]!, model: 'kling-o1-image-to-video' }],
      wait_seconds: 600,
    });
    expect(moved).toBeToolError('image_rejected');
    expect(textOf(moved)).toMatch(/shot 1 start_image_url.*300 pixels/s);
    expect(sim.submissions).toBe(before);
  });

  test('a revision that changes a shot’s engine or its sound renders that shot alone; shots that name neither keep the board’s', async ({
    shared,
    sim,
    chain,
  }) => {
    const made = await call(shared.client, 'generate_storyboard', { model: 'kling-o3-standard-image-to-video', shots: chain(3), wait_seconds: 600 });
    const id = made.structuredContent!.storyboard_id;
    expect(made.structuredContent!.status, textOf(made)).toBe('completed');
    let before = sim.submissions;
    const engine = await call(shared.client, 'revise_storyboard', {
      storyboard_id: id,
      shots: chain(3, [{}, { model: 'kling-o3-pro-image-to-video' }]),
      wait_seconds: 600,
    });
    expect(sim.submissions).toBe(before + 1);
    expect(engine.structuredContent!.shots.map((s) => [s.source, s.reason])).toEqual([
      ['reused', 'same prompt, duration and frames as take 1'],
      ['rendered', 'engine changed: Kling O3 Standard → Kling O3 Pro'],
      ['reused', 'same prompt, duration and frames as take 3'],
    ]);
    before = sim.submissions;
    const sound = await call(shared.client, 'revise_storyboard', { storyboard_id: id, shots: chain(3, [{ sound: true }]), wait_seconds: 600 });
    expect(sim.submissions).toBe(before + 1);
    expect(sound.structuredContent!.shots.map((s) => [s.source, s.reason])).toEqual([
      ['rendered', 'sound added'],
      ['reused', 'same prompt, duration and frames as take 2'],
      ['reused', 'same prompt, duration and frames as take 3'],
    ]);
    expect(sim.jobs.get(sound.structuredContent!.shots[0]!.request_id!)!.sent).toMatchObject({ sound: true });
  });
});
