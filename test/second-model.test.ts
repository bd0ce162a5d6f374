import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateUsd } from '../src/costs/price.js';
import type { JobDocument } from '../src/resources/jobs.js';
import { probeClip } from '../src/media/probe.js';
import { defineModel } from '../src/models/define.js';
import { unknownRules, type ImageRule } from '../src/models/image-rules.js';
import { DEFAULT_MODEL, registerModel } from '../src/models/registry.js';
import type { PublishedSchema } from '../src/models/schema.js';
import { preflightImages } from '../src/preflight/preflight.js';
import type { modelSchemaDocument } from '../src/resources/model-schema.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, image, readJson, textOf } from './helpers.js';
import { useLab } from './lab.js';

/**
 * A second model is one module: this test-only one is declared and registered
 * here, from a schema in RunComfy's dialect with fields, durations (4 or 8 s),
 * one image and rules of its own, and nothing else in the tree learns of it.
 * The tools offer only the default model (their arguments are the seed's), so
 * its job is started the way a tool for it would start one: pre-flight with
 * the model, then `Jobs.submit` with `model`, on the app the real client is
 * connected to. From there the ordinary tools (check_status, get_result,
 * list_jobs), the ledger, the schema resource and the simulator take it as
 * they take the seed's.
 */

/** Pasted as a schema would publish them: other limits, other texts, comparisons the seed does not use. */
const STILL_RULES: readonly ImageRule[] = [
  { validation_rule: 'file_size_mb<', validation_value: 2, validation_error: 'The image must be smaller than 2 MB.' },
  { validation_rule: 'width_pixels>=', validation_value: 200, validation_error: 'The image must be at least 200 pixels wide.' },
  { validation_rule: 'height_pixels>=', validation_value: 200, validation_error: 'The image must be at least 200 pixels tall.' },
  { validation_rule: 'width/height<=', validation_value: 2, validation_error: 'The image may be at most twice as wide as it is tall.' },
];

const SCHEMA = {
  type: 'object',
  title: 'Input',
  required: ['image_url'],
  properties: {
    image_url: { title: 'Image', description: 'The image the video starts from and holds.', type: 'string', format: 'image_uri', validations: STILL_RULES },
    camera: { title: 'Camera', description: 'How the camera moves over the image.', type: 'string', enum: ['pan', 'zoom'], default: 'zoom' },
    aspect_ratio: { title: 'Aspect ratio', description: 'Shape of the video.', type: 'string', enum: ['16:9', '1:1'], default: '16:9' },
    duration: { title: 'Duration', description: 'Video duration in seconds.', type: 'integer', enum: [4, 8], default: 4 },
  },
} as const satisfies PublishedSchema;

const stillToVideo = defineModel({
  id: 'test/still-to-video',
  key: 'test-still-to-video',
  title: 'Test still-to-video (simulator only)',
  name: 'Test Still',
  schema: SCHEMA,
  makes: 'video',
  // One price per video, whatever its length.
  price: { unit: 'output', units: () => 1 },
  media: { image_url: { kind: 'image', types: ['png', 'webp'] } },
  expectedRunMs: { 4: 40_000, 8: 80_000 },
  simulator: {
    price: { base_price_usd: 0.5, price_unit: 'output' },
    timing: (i) => ({ queueMs: 3_000, runMs: i.duration * 10_000 }),
    // A still of the one image, in the shape the input asks for.
    makes: { kind: 'video', video: (i) => ({ frames: [i.image_url], aspect: i.aspect_ratio === '1:1' ? 1 : 16 / 9 }) },
  },
});
const input = stillToVideo.input;

afterAll(registerModel(stillToVideo));

describe('a second, test-only model, end to end through the simulator and the ledger', () => {
  const clock = new VirtualClock();
  // The default polling schedule, on a virtual clock the simulator shares: its 83 s job is a handful of status reads.
  const lab = useLab({ clock, env: { KLING_MCP_POLL_QUEUE_MS: undefined, KLING_MCP_POLL_NEAR_MS: undefined, KLING_MCP_POLL_MAX_MS: undefined } });
  let still: string;

  beforeAll(async () => {
    // What a tool's adapter does before it touches jobs: open the ledger.
    await lab.c.app.init();
    // 250 px square passes this model's rules (≥ 200 px) and would fail the seed's (> 300 px).
    still = lab.sim.host('still.png', await image(250, 250, 'png', '#c08030'), 'image/png');
  });

  it('its rules are ones the interpreter reads', () => {
    expect(unknownRules(STILL_RULES)).toEqual([]);
  });

  it('is refused by its own rules, in its own words, before anything is sent', async () => {
    const small = lab.sim.host('small.png', await image(150, 400, 'png'), 'image/png');
    const before = lab.sim.requests.length;
    const err = await preflightImages(stillToVideo, input.parse({ image_url: small }), await lab.c.app.imageSources()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'image_rejected' });
    expect((err as Error).message.split('\n')).toEqual([
      'image_url: The image must be at least 200 pixels wide. (got width 150 px)',
      'Nothing was submitted; fix the image(s) and call again.',
    ]);
    // Only the pre-flight fetch of the image reached the simulator.
    expect(lab.sim.requests.slice(before).map((r) => r.route)).toEqual(['file']);
    const jpeg = lab.sim.host('still.jpg', await image(250, 250, 'jpeg'), 'image/jpeg');
    await expect(preflightImages(stillToVideo, input.parse({ image_url: jpeg }), await lab.c.app.imageSources())).rejects.toThrow(
      /the file is a JPEG image .*Test Still accepts only png, webp/,
    );
  });

  it('submits once to its own endpoint, is followed by the job tools, and its MP4 is what the model renders', async () => {
    const { jobs, prices } = await lab.c.app.upstream();
    const price = await prices.current(stillToVideo);
    expect(price).toMatchObject({ unit: 'output', usd: 0.5 });
    const checked = await preflightImages(stillToVideo, input.parse({ image_url: still, duration: 8 }), await lab.c.app.imageSources());
    expect(checked.checks.image_url).toMatchObject({ format: 'png', width: 250, height: 250 });

    const sub = await jobs.submit(checked.submit, {
      model: stillToVideo,
      recordAs: { ...checked.record, image_sha256: checked.sha256 },
      estimateUsd: estimateUsd(stillToVideo, price, checked.submit),
      what: 'this 8 s still',
    });
    expect(lab.sim.submissions).toBe(1);
    expect(lab.sim.requests.filter((r) => r.route === 'submit').map((r) => r.path)).toEqual(['/v1/models/test/still-to-video']);
    // Exactly its fields went over the wire, the defaults filled in by its schema.
    expect(lab.sim.jobs.get(sub.requestId)!.input).toEqual({ image_url: still, camera: 'zoom', aspect_ratio: '16:9', duration: 8 });

    const status = await call(lab.c.client, 'check_status', { request_id: sub.requestId });
    expect(status.structuredContent?.status, textOf(status)).toBe('in_queue');
    // Polling plans around its own run time for 8 s clips, not the seed's for 5 or 10.
    expect(await jobs.expectedRunMs(stillToVideo.id, 8)).toBe(80_000);
    expect(await jobs.expectedRunMs(DEFAULT_MODEL.id, 5)).toBe(600);

    const done = await call(lab.c.client, 'get_result', { request_id: sub.requestId, wait_seconds: 600 });
    expect(done.structuredContent?.status, textOf(done)).toBe('completed');
    expect(done.structuredContent?.cost).toEqual({ estimate_usd: 0.5, charged_usd: 0.5 });
    const file = done.structuredContent!.files![0]!;
    expect(existsSync(file.path)).toBe(true);
    const clip = await probeClip(file.path);
    expect(clip).toMatchObject({ codec: 'avc', width: 64, height: 36, frames: 32 });
    expect(clip.durationS).toBeCloseTo(8, 1);

    const recorded = await lab.c.app.ledger.job(sub.requestId);
    expect(recorded).toMatchObject({
      model: stillToVideo.id,
      input: { image_url: still, duration: 8, image_sha256: { image_url: checked.sha256.image_url } },
      estimate_usd: 0.5,
      charged_usd: 0.5,
      status: 'completed',
    });
    const doc = await readJson<JobDocument>(lab.c.client, `kling://jobs/${sub.requestId}`);
    expect(doc.model).toBe(stillToVideo.id);
    const listed = await call(lab.c.client, 'list_jobs', {});
    expect(listed.structuredContent?.jobs.find((j) => j.request_id === sub.requestId)).toMatchObject({ duration: 8, done: true });
  });

  it('has its own schema resource, listed beside the default model’s, by its short key', async () => {
    const { resources } = await lab.c.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(
      expect.arrayContaining(['kling://model/schema', `kling://models/${DEFAULT_MODEL.key}/schema`, 'kling://models/test-still-to-video/schema']),
    );
    const doc = await readJson<ReturnType<typeof modelSchemaDocument>>(lab.c.client, 'kling://models/test-still-to-video/schema');
    expect(doc).toMatchObject({
      model: 'test/still-to-video',
      makes: 'video',
      price_unit: 'output',
      input: SCHEMA,
      durations: [4, 8],
      image_rules: STILL_RULES,
      accepted_image_types: ['png', 'webp'],
      media: { image_url: { kind: 'image', list: false, types: ['png', 'webp'] } },
    });
    expect(JSON.stringify(doc.arguments)).toContain('Must be under 2 MB, at least 200 px wide and tall, with width/height at most 2.00.');
    await expect(lab.c.client.readResource({ uri: 'kling://models/no-such-model/schema' })).rejects.toThrow(
      /No model "no-such-model".*kling-o1-image-to-video, .*kling-o3-4k-image-to-video, .*elevenlabs-music-generation, test-still-to-video/,
    );
    const seed = await readJson<ReturnType<typeof modelSchemaDocument>>(lab.c.client, 'kling://model/schema');
    expect(seed.model).toBe(DEFAULT_MODEL.id);
  });
});
