import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../src/errors.js';
import { promptColour, referenceTile } from '../src/simulator/image.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, image, textOf, until } from './helpers.js';
import { labTest, useLab } from './lab.js';

/** The mean colour of a region of an image. */
async function meanColour(file: string, region: { left: number; top: number; width: number; height: number }): Promise<number[]> {
  const { channels } = await sharp(await sharp(readFileSync(file)).extract(region).toBuffer()).stats();
  return channels.slice(0, 3).map((c) => Math.round(c.mean));
}

/** The colour a keyframe's pixels took from its prompt (its top rows). */
async function topColour(file: string, width: number): Promise<number[]> {
  return meanColour(file, { left: 0, top: 0, width, height: 50 });
}

describe('generate_keyframes: a batch made all or nothing, characters kept by reference, ids used as frames', () => {
  const clock = new VirtualClock();
  const lab = useLab({ clock });

  beforeAll(async () => {
    await lab.c.app.init();
  });

  it('a character sheet, then 4 keyframes that reference it: the reference endpoint gets its pixels, and the ledger keeps what made what', async () => {
    const sheet = await call(lab.c.client, 'generate_keyframes', {
      keyframes: [{ prompt: 'character sheet: a small red paper boat, front and side views' }],
      aspect_ratio: '16:9',
      resolution: '1K',
      wait_seconds: 120,
    });
    expect(sheet.structuredContent, textOf(sheet)).toMatchObject({ done: true, cost_usd: 0.04, model: 'seedream-5-pro' });
    const kf = sheet.structuredContent!.keyframes[0]!;
    expect(kf).toMatchObject({ status: 'made', width: 1360, height: 768, cost_usd: 0.04 });
    expect(kf.keyframe_id).toMatch(/^kf-[0-9a-f]{12}$/);
    expect(lab.sim.jobs.get(kf.request_id!)!.model.id).toBe('bytedance/seedream-5.0-pro/text-to-image');

    const before = lab.sim.submissions;
    const prompts = ['the boat at the kerb', 'the boat in a puddle', 'the boat under a bridge', 'the boat at the drain'];
    const batch = await call(lab.c.client, 'generate_keyframes', {
      keyframes: prompts.map((prompt) => ({ prompt, references: [kf.keyframe_id] })),
      resolution: '1K',
      wait_seconds: 120,
    });
    expect(batch.structuredContent, textOf(batch)).toMatchObject({ done: true, cost_usd: 0.16 });
    expect(lab.sim.submissions - before).toBe(4);
    const made = batch.structuredContent!.keyframes;
    expect(new Set(made.map((k) => k.keyframe_id)).size).toBe(4);
    const sheetColour = await topColour(kf.file!.path, 1360);
    for (const [i, k] of made.entries()) {
      const job = lab.sim.jobs.get(k.request_id!)!;
      expect(job.model.id).toBe('bytedance/seedream-5.0-pro/image-to-image');
      // The sheet was sent as RunComfy's own URL of it (it still answers).
      expect(job.input.image).toEqual([kf.url]);
      expect(k).toMatchObject({ status: 'made', references: [kf.keyframe_id] });
      const { r, g, b } = promptColour(prompts[i]!);
      expect(await topColour(k.file!.path, 1360)).toEqual([r, g, b]);
      // The sheet's colour is in the reference tile along the bottom.
      const t = referenceTile(0, 1, 1360, 768);
      expect(await meanColour(k.file!.path, { left: t.left + 600, top: t.top + 20, width: 100, height: 100 })).toEqual(sheetColour);
      expect(await lab.c.app.ledger.job(k.request_id!)).toMatchObject({
        kind: 'image',
        input: { image: [kf.keyframe_id], asset: { id: k.keyframe_id, references: [{ keyframe_id: kf.keyframe_id, sha256: kf.file!.sha256 }] } },
      });
    }

    // The same batch again: the same keyframes, nothing submitted, nothing paid.
    const again = await call(lab.c.client, 'generate_keyframes', {
      keyframes: prompts.map((prompt) => ({ prompt, references: [kf.keyframe_id] })),
      resolution: '1K',
    });
    expect(lab.sim.submissions - before).toBe(4);
    expect(again.structuredContent).toMatchObject({ cost_usd: 0, done: true });
    expect(again.structuredContent!.keyframes.map((k) => [k.keyframe_id, k.status])).toEqual(made.map((k) => [k.keyframe_id, 'reused']));

    // A re-roll is a new keyframe.
    const reroll = await call(lab.c.client, 'generate_keyframes', {
      keyframes: [{ prompt: prompts[0]!, references: [kf.keyframe_id], new: true }],
      resolution: '1K',
      wait_seconds: 120,
    });
    expect(lab.sim.submissions - before).toBe(5);
    expect(reroll.structuredContent!.keyframes[0]!.keyframe_id).not.toBe(made[0]!.keyframe_id);

    // A keyframe id is a frame: generate_video sends its image and records its id.
    const video = await call(lab.c.client, 'generate_video', {
      prompt: '@Image1 the boat drifts to @Image2',
      start_image_url: made[0]!.keyframe_id,
      end_image_url: made[1]!.keyframe_id,
      wait_seconds: 0,
    });
    expect(video.structuredContent?.request_id, textOf(video)).toBeDefined();
    const clip = lab.sim.jobs.get(video.structuredContent!.request_id)!;
    expect(clip.input).toMatchObject({ start_image_url: made[0]!.url, end_image_url: made[1]!.url });
    expect(await lab.c.app.ledger.job(video.structuredContent!.request_id)).toMatchObject({
      input: { start_image_url: made[0]!.keyframe_id, end_image_url: made[1]!.keyframe_id, image_sha256: { start_image_url: made[0]!.file!.sha256 } },
    });
  });

  it('bad input costs nothing and says what to do', async () => {
    const before = lab.sim.submissions;
    const tiny = lab.sim.host('tiny.png', await image(10, 10, 'png'), 'image/png');
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ keyframes: [{ prompt: 'x' }], model: 'no/such-model' }, 'invalid_model', /no image model "no\/such-model".*seedream-5-pro/],
      [{ keyframes: [{ prompt: 'x' }], model: 'kling-o1-image-to-video' }, 'invalid_model', /makes videos, not keyframes/],
      [{ keyframes: [{ prompt: 'x' }], aspect_ratio: '5:4' }, 'invalid_input', /Seedream 5.0 Pro does not offer it/],
      [{ keyframes: [{ prompt: 'x' }], model: 'nano-banana-2-lite', aspect_ratio: '4:1' }, 'invalid_input', /0.40–2.50.*21:9, 16:9/],
      [{ keyframes: [{ prompt: 'x' }], model: 'nano-banana-2-lite', resolution: '2K' }, 'invalid_input', /no resolution choice/],
      [{ keyframes: [{ prompt: ' ' }] }, 'arguments', /prompt is empty/],
      [{ keyframes: [{ prompt: 'x'.repeat(4001) }] }, 'arguments', /longer than 4000/],
      [{ keyframes: [] }, 'arguments', /keyframes is empty/],
      [{ keyframes: [{ prompt: 'x', references: Array(11).fill(tiny) }] }, 'invalid_input', /at most 10/],
      [{ keyframes: [{ prompt: 'x', references: [tiny] }] }, 'image_rejected', /must exceed 14 pixels/],
      [{ keyframes: [{ prompt: 'x', references: ['kf-0123456789ab'] }] }, 'asset_not_found', /no keyframe kf-0123456789ab/],
    ];
    for (const [args, code, message] of cases) {
      const r = await call(lab.c.client, 'generate_keyframes', args);
      // Arguments are refused by their schema, before the handler: an MCP invalid-params error naming the field.
      if (code === 'arguments') expect(r.isError).toBe(true);
      else expect(r, JSON.stringify(args).slice(0, 100)).toBeToolError(code as ErrorCode);
      expect(textOf(r)).toMatch(message);
    }
    expect(lab.sim.submissions).toBe(before);
  });

  it('a board of keyframe ids, a keyframe re-made and the board revised (exactly its shots re-rendered), and a soundtrack made for it and muxed', async () => {
    const made = await call(lab.c.client, 'generate_keyframes', {
      keyframes: ['a paper boat at the kerb', 'the boat in the gutter', 'the boat by the drain', 'the boat in the river'].map((prompt) => ({ prompt })),
      resolution: '1K',
      wait_seconds: 120,
    });
    const kf = made.structuredContent!.keyframes.map((k) => k.keyframe_id);
    const shots = [0, 1, 2].map((i) => ({ prompt: `@Image1 drifts to @Image2 (${i + 1})`, start_image_url: kf[i]!, end_image_url: kf[i + 1]! }));
    const board = await call(lab.c.client, 'generate_storyboard', { shots, wait_seconds: 600 });
    expect(board.structuredContent?.film, textOf(board)).toBeDefined();
    const id = board.structuredContent!.storyboard_id;
    const ledgerBoard = (await lab.c.app.ledger.board(id))!;
    expect(ledgerBoard.shots.map((s) => [s.start_image_url, s.end_image_url])).toEqual(shots.map((s) => [s.start_image_url, s.end_image_url]));
    // The answer names each shot's frames by their kf ids too (the player shows them).
    expect(board.structuredContent!.shots.map((s) => s.keyframe_ids)).toEqual(shots.map((s) => ({ start: s.start_image_url, end: s.end_image_url })));

    // Keyframe 2 (the end of shot 1, the start of shot 2) made anew, and the board revised with the new id.
    const remade = await call(lab.c.client, 'generate_keyframes', {
      keyframes: [{ prompt: 'the boat in the gutter, lit by a street lamp' }],
      resolution: '1K',
      wait_seconds: 120,
    });
    const kf2 = remade.structuredContent!.keyframes[0]!.keyframe_id;
    const before = lab.sim.submissions;
    const cut2 = shots.map((s) => ({
      ...s,
      start_image_url: s.start_image_url === kf[1] ? kf2 : s.start_image_url,
      end_image_url: s.end_image_url === kf[1] ? kf2 : s.end_image_url,
    }));
    const revised = await call(lab.c.client, 'revise_storyboard', { storyboard_id: id, shots: cut2, wait_seconds: 600 });
    expect(
      revised.structuredContent?.shots.map((s) => s.source),
      textOf(revised),
    ).toEqual(['rendered', 'rendered', 'reused']);
    expect(lab.sim.submissions - before).toBe(2);

    // Music as long as the film, then the film with it.
    const track = await call(lab.c.client, 'generate_soundtrack', { prompt: 'rain on a tin roof, soft piano', for_storyboard: id, wait_seconds: 120 });
    expect(track.isError, textOf(track)).toBeFalsy();
    expect(track.structuredContent, textOf(track)).toMatchObject({ status: 'made', seconds: 15, cost_usd: 0.5 });
    const st = track.structuredContent!.soundtrack_id;
    expect(st).toMatch(/^st-[0-9a-f]{12}$/);
    expect(lab.sim.jobs.get(String(track.structuredContent!.request_id))!.input).toMatchObject({
      music_length_ms: 15_000,
      output_format: 'mp3_standard',
      force_instrumental: true,
    });
    const again = await call(lab.c.client, 'generate_soundtrack', { prompt: 'rain on a tin roof, soft piano', seconds: 15 });
    expect(again.structuredContent).toMatchObject({ soundtrack_id: st, status: 'reused', cost_usd: 0 });
    const scored = await call(lab.c.client, 'revise_storyboard', {
      storyboard_id: id,
      shots: cut2,
      soundtrack: st,
      wait_seconds: 600,
    });
    expect(scored.structuredContent?.film?.audio, textOf(scored)).toMatchObject({ from: 'soundtrack', codec: 'mp3' });

    for (const [args, message] of [
      [{ prompt: 'x', seconds: 4 }, /outside what ElevenLabs music \(RunComfy\) makes \(5–300 s\)/],
      [{ prompt: 'x' }, /Give either seconds .* or for_storyboard/],
      [{ prompt: 'x', for_storyboard: 'sb-nosuchboard' }, /no storyboard sb-nosuchboard/],
    ] as const) {
      const n = lab.sim.submissions;
      const r = await call(lab.c.client, 'generate_soundtrack', args);
      expect(r.isError, textOf(r)).toBe(true);
      expect(textOf(r)).toMatch(message);
      expect(lab.sim.submissions).toBe(n);
    }
    const wrong = await call(lab.c.client, 'generate_storyboard', { shots, soundtrack: 'st-0123456789ab' });
    expect(wrong).toBeToolError('asset_not_found');
  });
});

const processes = labTest();

describe('a batch cut short by a killed server', () => {
  processes('resumes by the same call in a new process: every keyframe made once, none paid twice', async ({ sim, spawn }) => {
    sim.planNext(...Array.from({ length: 5 }, () => ({ queueMs: 300, runMs: 1_500 })));
    const batch = { keyframes: [1, 2, 3, 4, 5].map((n) => ({ prompt: `rainy street, frame ${n}` })), resolution: '1K', wait_seconds: 60 };
    const first = await spawn();
    const cut = call(first.client, 'generate_keyframes', batch).catch(() => undefined);
    await until(() => sim.submissions >= 2);
    process.kill(first.transport.pid!, 'SIGKILL');
    await cut;
    const before = sim.submissions;

    const second = await spawn();
    const r = await call(second.client, 'generate_keyframes', batch);
    expect(r.isError, textOf(r)).toBeFalsy();
    const keyframes = r.structuredContent!.keyframes;
    // What the first process sent is reused; only the rest were submitted now.
    expect(keyframes.filter((k) => k.status === 'reused').length).toBeGreaterThanOrEqual(before - 1);
    expect(sim.submissions).toBeLessThanOrEqual(5);
    const prompts = [...sim.jobs.values()].map((j) => String(j.input.prompt));
    expect(new Set(prompts).size).toBe(prompts.length);
    // Each keyframe is made (or, if the kill fell between its reservation and RunComfy's answer, outcome_unknown).
    for (const k of keyframes) expect(['made', 'reused', 'outcome_unknown']).toContain(k.status);
  });

  processes(
    'an item whose server was killed before RunComfy answered is outcome_unknown, not in flight forever; new: true makes another',
    async ({ sim, spawn }) => {
      // RunComfy takes the request (a job, and a charge, exist) but its answer never reaches the first server.
      let answer!: () => void;
      sim.planNext({ queueMs: 200, runMs: 500 }, { queueMs: 200, runMs: 500 });
      sim.inject({ route: 'submit', afterProcessing: true, release: new Promise<void>((r) => (answer = r)) });
      const args = { prompt: 'rain on a tin roof, slow piano', seconds: 10, wait_seconds: 30 };
      const before = sim.submissions;
      const first = await spawn();
      const cut = call(first.client, 'generate_soundtrack', args).catch(() => undefined);
      await until(() => sim.submissions === before + 1);
      process.kill(first.transport.pid!, 'SIGKILL');
      await cut;
      answer();

      const second = await spawn();
      const r = await call(second.client, 'generate_soundtrack', args);
      expect(r.structuredContent, textOf(r)).toMatchObject({ status: 'outcome_unknown' });
      expect(r.structuredContent!.error).toMatch(/stopped before RunComfy answered.*`new: true`.*may pay for it twice/);
      expect(textOf(r)).toMatch(/The same arguments answer the same again/);
      expect(sim.submissions).toBe(before + 1);
      const again = await call(second.client, 'generate_soundtrack', { ...args, new: true });
      expect(again.structuredContent, textOf(again)).toMatchObject({ status: 'made' });
      expect(sim.submissions).toBe(before + 2);
    },
  );
});

describe('prices and frame rules of keyframes', () => {
  const clock = new VirtualClock();
  const lab = useLab({ clock });

  beforeAll(async () => {
    await lab.c.app.init();
  });

  it('a keyframe over a frame rule (a 2K PNG over 10 MB) is sent as a JPEG copy of the same pixel size, and the answer says so', async () => {
    // RunComfy answers a noisy 2K PNG: over the 10 MB a Kling frame may weigh.
    const noise = await sharp(Buffer.from(Array.from({ length: 2048 * 2048 * 3 }, (_, i) => (i * 2654435761) >>> 24)), {
      raw: { width: 2048, height: 2048, channels: 3 },
    })
      .resize(2720, 1536)
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(10 * 2 ** 20);
    const big = lab.sim.host('big.png', noise, 'image/png');
    lab.sim.planNext({ output: { image: big } });
    const made = await call(lab.c.client, 'generate_keyframes', { keyframes: [{ prompt: 'a very detailed rainy street' }], wait_seconds: 120 });
    const kf = made.structuredContent!.keyframes[0]!;
    expect(kf, textOf(made)).toMatchObject({ status: 'made', width: 2720, height: 1536 });
    const start = await call(lab.c.client, 'generate_keyframes', { keyframes: [{ prompt: 'a calm street' }], resolution: '1K', wait_seconds: 120 });
    const video = await call(lab.c.client, 'generate_video', {
      prompt: '@Image1 to @Image2',
      start_image_url: start.structuredContent!.keyframes[0]!.keyframe_id,
      end_image_url: kf.keyframe_id,
      wait_seconds: 0,
    });
    expect(textOf(video)).toMatch(
      new RegExp(`end_image_url: keyframe ${kf.keyframe_id} \\(1\\d\\.\\d MiB\\) breaks a frame rule .*so a JPEG copy of the same size in pixels`),
    );
    const sent = String(lab.sim.jobs.get(video.structuredContent!.request_id)!.input.end_image_url);
    expect(sent).toMatch(/^data:image\/jpeg;base64,/);
    expect(await sharp(Buffer.from(sent.slice(sent.indexOf(',') + 1), 'base64')).metadata()).toMatchObject({ format: 'jpeg', width: 2720, height: 1536 });
  });

  it('a keyframe model whose price cannot be read always asks first, whatever the threshold: a quote, nothing submitted', async () => {
    const before = lab.sim.submissions;
    lab.sim.inject({ route: 'model', status: 503, times: 1000 });
    const r = await call(lab.c.client, 'generate_keyframes', { keyframes: [{ prompt: 'x' }], model: 'google/nano-banana-2-lite/text-to-image' });
    expect(r, textOf(r)).toBeToolError('confirmation_required');
    expect(textOf(r)).toMatch(/at a price RunComfy did not publish \(unknown\).*of unknown price/);
    expect(lab.sim.submissions).toBe(before);
    lab.sim.clearFaults();
  });
});
