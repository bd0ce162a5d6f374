import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { estimateUsd } from '../src/costs/price.js';
import { defineModel } from '../src/models/define.js';
import { registerModel } from '../src/models/registry.js';
import type { PublishedSchema } from '../src/models/schema.js';
import { preflightImages } from '../src/preflight/preflight.js';
import type { JobDocument } from '../src/resources/jobs.js';
import type { modelSchemaDocument } from '../src/resources/model-schema.js';
import { promptColour, referenceTile } from '../src/simulator/image.js';
import { SIM_TOKEN } from '../src/simulator/simulator.js';
import { VirtualClock } from '../src/util/clock.js';
import { decodeAudio } from './audio-decoder.js';
import { call, image, readJson, ROOT, textOf } from './helpers.js';
import { useLab } from './lab.js';

/**
 * Models that make something other than a video, each one module's worth of
 * declarations over a schema RunComfy publishes (read verbatim from the
 * catalog copies in test/fixtures): an image model shaped as Seedream 5.0 Pro
 * text-to-image (priced per image, by resolution tier, as its schema says), its
 * image-to-image sibling (a list of reference images, with RunComfy's rules),
 * and a music model shaped as ElevenLabs' (priced per output, at the price its
 * model endpoint publishes). Test-only ids, so the real modules can come later.
 * Each runs a job through the simulator and the ledger; what is saved is real
 * media, checked with sharp and mediabunny.
 */

const schemaOf = (file: string) =>
  (JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'runcomfy-models', `${file}.json`), 'utf8')) as { schema: PublishedSchema }).schema;

/** Seedream's sizes: the long side by resolution tier, the other by the aspect ratio ("auto": square). */
function seedreamSize(input: Record<string, unknown>): { width: number; height: number } {
  const long = input.resolution === '1K' ? 1024 : 2048;
  const [a, b] = input.aspect_ratio === 'auto' ? [1, 1] : String(input.aspect_ratio).split(':').map(Number);
  return a! >= b! ? { width: long, height: Math.round((long * b!) / a!) } : { width: Math.round((long * a!) / b!), height: long };
}

/** What both Seedream shapes declare alike. */
const seedream = {
  makes: 'image',
  // The text-to-image schema's resolution description: "1K is billed at $0.040 per image, 2K at $0.080."
  price: {
    unit: 'image',
    units: () => 1,
    published: { usd: (i: Record<string, unknown>) => (i.resolution === '1K' ? 0.04 : 0.08), source: "the schema's resolution description" },
  },
  expectedRunMs: 20_000,
} as const;

const textToImage = defineModel({
  ...seedream,
  id: 'test/seedream-text-to-image',
  key: 'test-seedream-text-to-image',
  title: 'Test Seedream-shaped text-to-image (simulator only)',
  name: 'Test Seedream',
  schema: schemaOf('bytedance__seedream-5.0-pro__text-to-image'),
  media: {},
  simulator: {
    price: { base_price_usd: 0.04, price_unit: 'image' },
    timing: () => ({ queueMs: 1_000, runMs: 15_000 }),
    makes: {
      kind: 'image',
      image: (i) => ({ ...seedreamSize(i), format: i.output_format === 'jpeg' ? 'jpeg' : 'png', prompt: String(i.prompt), references: [] }),
    },
  },
});

const imageToImage = defineModel({
  ...seedream,
  id: 'test/seedream-image-to-image',
  key: 'test-seedream-image-to-image',
  title: 'Test Seedream-shaped image-to-image (simulator only)',
  name: 'Test Seedream',
  schema: schemaOf('bytedance__seedream-5.0-pro__image-to-image'),
  media: { image: { kind: 'image', types: ['jpg', 'jpeg', 'png', 'webp'] } },
  simulator: {
    price: { base_price_usd: 0.04, price_unit: 'image' },
    timing: () => ({ queueMs: 1_000, runMs: 15_000 }),
    makes: {
      kind: 'image',
      image: (i) => ({ ...seedreamSize(i), format: i.output_format === 'jpeg' ? 'jpeg' : 'png', prompt: String(i.prompt), references: i.image as string[] }),
    },
  },
});

const music = defineModel({
  id: 'test/music',
  key: 'test-music',
  title: 'Test ElevenLabs-shaped music (simulator only)',
  name: 'Test Music',
  schema: schemaOf('elevenlabs__elevenlabs__music-generation'),
  makes: 'audio',
  // Not published: the model endpoint's base price, per output.
  price: { unit: 'output', units: () => 1 },
  media: {},
  expectedRunMs: 30_000,
  simulator: {
    price: { base_price_usd: 0.5, price_unit: 'output', pricing_note: 'Per generated track.' },
    timing: (i) => ({ queueMs: 1_000, runMs: 10_000 + Number(i.music_length_ms) / 10 }),
    makes: { kind: 'audio', audio: (i) => ({ seconds: Number(i.music_length_ms) / 1000 }) },
  },
});

afterAll(registerModel(textToImage));
afterAll(registerModel(imageToImage));
afterAll(registerModel(music));

/** The mean colour of a region of an image. */
async function meanColour(img: Buffer, region: { left: number; top: number; width: number; height: number }): Promise<number[]> {
  // stats() reads its input, not the pipeline's output: the region is cut first.
  const { channels } = await sharp(await sharp(img).extract(region).toBuffer()).stats();
  return channels.slice(0, 3).map((c) => Math.round(c.mean));
}

describe('an image model and a music model, end to end through the simulator and the ledger', () => {
  const clock = new VirtualClock();
  const lab = useLab({ clock });

  beforeAll(async () => {
    await lab.c.app.init();
  });

  it('their schemas are read from RunComfy’s, with the arguments, media and price each declares', () => {
    expect(textToImage.inputShape).toHaveProperty('resolution');
    expect(textToImage.durations).toBeUndefined();
    expect(imageToImage.media.image).toMatchObject({
      kind: 'image',
      list: true,
      rules: schemaOf('bytedance__seedream-5.0-pro__image-to-image').properties.image!.validations,
    });
    expect(textToImage.input.parse({ prompt: 'a paper boat' })).toEqual({
      prompt: 'a paper boat',
      aspect_ratio: '1:1',
      resolution: '2K',
      output_format: 'png',
    });
    // Priced by the tier the input asks for, whatever the live base price says.
    expect(estimateUsd(textToImage, undefined, textToImage.input.parse({ prompt: 'p', resolution: '1K' }))).toBe(0.04);
    expect(estimateUsd(textToImage, { unit: 'image', usd: 1, source: 'test' }, textToImage.input.parse({ prompt: 'p' }))).toBe(0.08);
  });

  it('an image: a real PNG of the size the input asks, in the prompt’s colour, recorded with its kind and price unit', async () => {
    const { jobs, prices } = await lab.c.app.upstream();
    const input = textToImage.input.parse({ prompt: 'a paper boat on a rainy street', aspect_ratio: '16:9', resolution: '1K' });
    const estimate = estimateUsd(textToImage, await prices.current(textToImage), input);
    expect(estimate).toBe(0.04);
    const sub = await jobs.submit(input, { model: textToImage, estimateUsd: estimate, what: 'this image' });
    expect(lab.sim.jobs.get(sub.requestId)!.input).toEqual({
      prompt: 'a paper boat on a rainy street',
      aspect_ratio: '16:9',
      resolution: '1K',
      output_format: 'png',
    });

    const done = await call(lab.c.client, 'get_result', { request_id: sub.requestId, wait_seconds: 600 });
    expect(done.structuredContent, textOf(done)).toMatchObject({ status: 'completed', kind: 'image', cost: { estimate_usd: 0.04, charged_usd: 0.04 } });
    expect(textOf(done)).toMatch(/^Image ready \(request_id /);
    const file = done.structuredContent!.files![0]!;
    expect(file).toMatchObject({ mime: 'image/png', path: expect.stringMatching(/\.png$/) });
    const png = readFileSync(file.path);
    expect(file.sha256).toBe(createHash('sha256').update(png).digest('hex'));
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 1024, height: 576 });
    const { r, g, b } = promptColour('a paper boat on a rainy street');
    expect(await meanColour(png, { left: 0, top: 0, width: 1024, height: 100 })).toEqual([r, g, b]);

    expect(await lab.c.app.ledger.job(sub.requestId)).toMatchObject({ model: textToImage.id, kind: 'image', price_unit: 'image', estimate_usd: 0.04 });
    const doc = await readJson<JobDocument>(lab.c.client, `kling://jobs/${sub.requestId}`);
    expect(doc).toMatchObject({ kind: 'image', price_unit: 'image' });
    const listed = await call(lab.c.client, 'list_jobs', {});
    expect(listed.structuredContent?.jobs.find((j) => j.request_id === sub.requestId)).toMatchObject({ kind: 'image', done: true, file: file.path });
    expect(textOf(listed)).toContain(`- ${sub.requestId} · completed · image`);
  });

  it('references: each is checked by the schema’s rules, sent as given, and shows in the picture where it was placed', async () => {
    const { jobs } = await lab.c.app.upstream();
    const red = lab.sim.host('red.png', await image(64, 48, 'png', '#ff0000'), 'image/png');
    const blue = lab.sim.host('blue.png', await image(48, 64, 'png', '#0000ff'), 'image/png');
    const tiny = lab.sim.host('tiny.png', await image(10, 10, 'png'), 'image/png');
    const sources = await lab.c.app.imageSources();

    const refused = await preflightImages(imageToImage, imageToImage.input.parse({ prompt: 'p', image: [red, tiny] }), sources).catch((e: unknown) => e);
    expect((refused as Error).message.split('\n')).toEqual([
      'image[1]: The uploaded image width and height must exceed 14 pixels. (got width 10 px)',
      'image[1]: The uploaded image width and height must exceed 14 pixels. (got height 10 px)',
      'Nothing was submitted; fix the image(s) and call again.',
    ]);

    const checked = await preflightImages(imageToImage, imageToImage.input.parse({ prompt: 'the same boat', image: [blue, red], resolution: '1K' }), sources);
    // A schema read at run time is not typed field by field: a list field's checks are a list.
    const reports = checked.checks.image as unknown as { width: number; height: number }[];
    expect(reports.map((c) => [c.width, c.height])).toEqual([
      [48, 64],
      [64, 48],
    ]);
    const sub = await jobs.submit(checked.submit, { model: imageToImage, recordAs: checked.record, what: 'this image' });
    expect(lab.sim.jobs.get(sub.requestId)!.input).toMatchObject({ image: [blue, red] });
    const done = await call(lab.c.client, 'get_result', { request_id: sub.requestId, wait_seconds: 600 });
    const png = readFileSync(done.structuredContent!.files![0]!.path);
    // Square (aspect 1:1 by default), 1K; blue first, red second along the bottom.
    expect(await sharp(png).metadata()).toMatchObject({ width: 1024, height: 1024 });
    const inner = (i: number) => {
      const t = referenceTile(i, 2, 1024, 1024);
      return { left: t.left + 8, top: t.top + 8, width: t.width - 16, height: t.height - 16 };
    };
    expect(await meanColour(png, inner(0))).toEqual([0, 0, 255]);
    expect(await meanColour(png, inner(1))).toEqual([255, 0, 0]);
  });

  it('music: a real MP3 of the asked length, priced per output at the price its endpoint publishes', async () => {
    const { jobs, prices } = await lab.c.app.upstream();
    expect(await prices.current(music)).toMatchObject({ unit: 'output', usd: 0.5, note: 'Per generated track.' });
    const input = music.input.parse({ prompt: 'a calm piano theme', music_length_ms: 7_500, force_instrumental: true });
    const sub = await jobs.submit(input, { model: music, estimateUsd: estimateUsd(music, await prices.current(music), input), what: 'this track' });
    const done = await call(lab.c.client, 'get_result', { request_id: sub.requestId, wait_seconds: 600 });
    expect(done.structuredContent, textOf(done)).toMatchObject({ kind: 'audio', cost: { estimate_usd: 0.5, charged_usd: 0.5 } });
    const file = done.structuredContent!.files![0]!;
    expect(file).toMatchObject({ mime: 'audio/mpeg', path: expect.stringMatching(/\.mp3$/) });
    const sound = await decodeAudio(file.path);
    expect(sound.codec).toBe('mp3');
    expect(sound.durationS).toBeGreaterThanOrEqual(7.5);
    expect(sound.durationS - 7.5).toBeLessThan(0.05);
    expect(await lab.c.app.ledger.job(sub.requestId)).toMatchObject({ kind: 'audio', price_unit: 'output', input: { music_length_ms: 7_500 } });
  });

  it('a result without what the model makes is a typed failure that names the job, and nothing is saved', async () => {
    const { jobs } = await lab.c.app.upstream();
    lab.sim.planNext({ output: { video: `${lab.sim.url}/outputs/elsewhere.mp4` } });
    const sub = await jobs.submit(music.input.parse({ prompt: 'a theme' }), { model: music, what: 'this track' });
    const r = await call(lab.c.client, 'get_result', { request_id: sub.requestId, wait_seconds: 600 });
    expect(r).toBeToolError('output_missing');
    expect(textOf(r)).toContain(`job ${sub.requestId} completed, but its output holds no audio, which test/music makes (it holds: video)`);
    expect(await lab.c.app.ledger.job(sub.requestId)).toMatchObject({ files: [], errors: [expect.objectContaining({ code: 'output_missing' })] });
  });

  it('each has its schema resource: RunComfy’s schema, what it makes and its price unit', async () => {
    const doc = await readJson<ReturnType<typeof modelSchemaDocument>>(lab.c.client, 'kling://models/test-music/schema');
    expect(doc).toMatchObject({
      model: 'test/music',
      makes: 'audio',
      price_unit: 'output',
      input: schemaOf('elevenlabs__elevenlabs__music-generation'),
      media: {},
    });
    expect(doc).not.toHaveProperty('durations');
    const info = await fetch(`${lab.sim.url}/v1/models/test/seedream-text-to-image`, { headers: { authorization: `Bearer ${SIM_TOKEN}` } });
    expect(await info.json()).toMatchObject({
      model_id: 'test/seedream-text-to-image',
      input_schema: schemaOf('bytedance__seedream-5.0-pro__text-to-image'),
      price_unit: 'image',
    });
  });
});
