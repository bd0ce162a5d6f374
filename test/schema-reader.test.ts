import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineModel } from '../src/models/define.js';
import { mediaOf, readSchema, type MediaWords, type PublishedSchema } from '../src/models/schema.js';
import { ROOT } from './helpers.js';

/**
 * The reader of RunComfy's input schemas, on every schema of its catalog this
 * repository keeps (test/fixtures/runcomfy-models, verbatim copies of
 * ../shared/runcomfy-models) and on the dialect its live answers use.
 */

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'runcomfy-models');
const catalog = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(FIXTURES, f), 'utf8')) as { model_id: string; output_type: string; schema: PublishedSchema });

/** Media fields as their `format` marks them, accepting what a test needs. */
const mediaByFormat = (schema: PublishedSchema) => (name: string) => {
  const m = mediaOf(schema.properties[name]!);
  return m && ({ kind: m.kind, modelName: 'Test', types: ['png', 'jpeg'] } satisfies MediaWords);
};
const read = (schema: PublishedSchema) => readSchema(schema, {}, mediaByFormat(schema));
const argsOf = (schema: PublishedSchema) => z.object(read(schema).shape);
const messages = (schema: PublishedSchema, input: unknown) =>
  argsOf(schema)
    .safeParse(input)
    .error?.issues.map((i) => i.message) ?? [];

describe('the schema reader on every schema of RunComfy’s catalog kept here', () => {
  it('has the eleven models', () => {
    expect(catalog.map((m) => m.model_id)).toHaveLength(11);
  });

  it.each(catalog.map((m) => [m.model_id, m] as const))('%s: every field is read, required ones are required, defaults are applied', (_, m) => {
    const { shape, problems } = read(m.schema);
    expect(problems).toEqual([]);
    expect(Object.keys(shape)).toEqual(Object.keys(m.schema.properties));
    const json = z.toJSONSchema(z.object(shape), { io: 'input' });
    expect([...(json.required ?? [])].sort()).toEqual([...(m.schema.required ?? [])].sort());
    // The smallest valid input: each required field given; every default the schema publishes (off required and media fields) is filled in.
    const minimal = Object.fromEntries(
      (m.schema.required ?? []).map((f) => [f, mediaOf(m.schema.properties[f]!)?.list ? ['https://example.com/a.png'] : 'https://example.com/a.png']),
    );
    const parsed = z.object(shape).parse(minimal);
    for (const [name, field] of Object.entries(m.schema.properties)) {
      if (!m.schema.required?.includes(name) && !mediaOf(field) && field.default !== undefined) expect(parsed[name], name).toEqual(field.default);
    }
  });

  it('says what to send, in the field’s terms, for each kind of field', () => {
    const music = catalog.find((m) => m.model_id === 'elevenlabs/elevenlabs/music-generation')!.schema;
    expect(messages(music, { prompt: 'calm piano', music_length_ms: 1000 })).toEqual([
      'music_length_ms must be a whole number from 5000 to 300000 (milliseconds).',
    ]);
    expect(messages(music, { prompt: 'calm piano', music_length_ms: 5000.5 })).toEqual([
      'music_length_ms must be a whole number from 5000 to 300000 (milliseconds).',
    ]);
    expect(messages(music, { prompt: '  ', output_format: 'ogg', force_instrumental: 'yes' })).toEqual([
      'force_instrumental must be true or false.',
      'output_format must be one of "mp3_standard", "mp3_high_quality", "wav_16khz", "wav_22khz", "wav_24khz" or "wav_cd_quality".',
      'prompt is empty: write the prompt (Style description and lyrics with structure markers).',
    ]);
    expect(messages(music, {})).toEqual(['prompt is required: a string of text.']);

    const edit = catalog.find((m) => m.model_id === 'bytedance/seedream-5.0-pro/image-to-image')!.schema;
    expect(messages(edit, { prompt: 'a cat', image: [] })).toEqual(['image needs at least 1 image(s).']);
    expect(messages(edit, { prompt: 'a cat', image: Array.from({ length: 11 }, () => 'https://example.com/a.png') })).toEqual([
      'image takes at most 10 image(s).',
    ]);
    expect(messages(edit, { prompt: 'a cat', image: [''] })).toEqual(['an item of image is empty: give the https:// URL or the absolute path of an image.']);
    expect(messages(edit, { prompt: 'a cat', image: ['https://example.com/a.png'], aspect_ratio: '5:4' })).toEqual([
      'aspect_ratio must be one of "auto", "1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2" or "21:9".',
    ]);

    const o3 = catalog.find((m) => m.model_id === 'kling/kling-video-o3/4K/image-to-video')!.schema;
    expect(messages(o3, { prompt: 'p', image: 'https://example.com/a.png', duration: 16 })).toEqual([
      'duration must be 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 or 15 (seconds, a number).',
    ]);
    const pro = catalog.find((m) => m.model_id === 'kling/kling-3.0/pro/image-to-video')!.schema;
    expect(messages(pro, { prompt: 'p', start_image_url: 'https://example.com/a.png', cfg_scale: 2 })).toEqual(['cfg_scale must be a number from 0 to 1.']);
  });

  it('derives descriptions an agent can act on from the schema’s own', () => {
    const t2i = catalog.find((m) => m.model_id === 'bytedance/seedream-5.0-pro/text-to-image')!.schema;
    const props = z.toJSONSchema(argsOf(t2i), { io: 'input' }).properties as Record<string, { description: string; default?: unknown }>;
    expect(props.resolution).toMatchObject({
      default: '2K',
      description: 'Choose the output resolution tier. 1K is billed at $0.040 per image, 2K at $0.080: 1K or 2K (default 2K).',
    });
    expect(props.prompt!.description).toMatch(/resulting in a image with missing elements\. At most 10000 characters\.$/);
  });
});

describe('the dialect RunComfy’s live answers use', () => {
  const live = {
    type: 'object',
    required: ['prompt'],
    properties: {
      prompt: { type: 'string', maxLength: 20 },
      guidance: { type: 'float', minimum: 1, maximum: 20, default: null },
      steps: { type: 'integer', enum: [20, 30], default: 30 },
      seed: { type: 'integer', default: null },
      images: { type: 'array', format: 'image_uris', items: { type: 'string' }, maxItems: 2 },
      track: { type: 'string', format: 'audio_uri' },
    },
  } as const satisfies PublishedSchema;

  it('reads "float", a null default (none), integer enums, maxLength, image and audio references', () => {
    expect(read(live).problems).toEqual([]);
    expect(argsOf(live).parse({ prompt: 'hello' })).toEqual({ prompt: 'hello', steps: 30 });
    expect(
      argsOf(live).parse({ prompt: 'hello', guidance: 7.5, seed: 3, images: ['https://example.com/a.png'], track: 'https://example.com/a.mp3' }),
    ).toMatchObject({
      guidance: 7.5,
      seed: 3,
    });
    expect(messages(live, { prompt: 'x'.repeat(21), guidance: 0.5, steps: 25, seed: 1.5, images: 'https://example.com/a.png', track: '' })).toEqual([
      'prompt is longer than 20 characters; shorten it.',
      'guidance must be a number from 1 to 20.',
      'steps must be 20 or 30 (a number).',
      'seed must be a whole number.',
      'images must be a list of image references.',
      'track is empty: give an https:// URL.',
    ]);
  });

  it('names what it cannot read, and a media field whose kind the model gets wrong', () => {
    const odd = { type: 'object', properties: { mask: { type: 'object' }, clip: { type: 'string', format: 'video_uri' } } } as const satisfies PublishedSchema;
    expect(readSchema(odd, {}, (name) => (name === 'clip' ? { kind: 'image', modelName: 'T', types: ['png'] } : undefined)).problems).toEqual([
      'field "mask" has a type this server cannot read ("object")',
      'media field "clip" (video_uri) must be declared as video',
    ]);
    expect(() =>
      defineModel({
        id: 't/odd',
        key: 't-odd',
        title: 'odd',
        name: 'Odd',
        schema: { type: 'object', required: ['who'], properties: { clip: { type: 'string', format: 'video_uri' } } },
        makes: 'video',
        price: { unit: 'output', units: () => 1 },
        media: {},
        expectedRunMs: 1,
        simulator: {
          price: { base_price_usd: 1, price_unit: 'output' },
          timing: () => ({ queueMs: 1, runMs: 1 }),
          makes: { kind: 'audio', audio: () => ({ seconds: 1 }) },
        },
      }),
    ).toThrow('model t/odd: media field "clip" (video_uri) needs its accepted file types declared; it requires "who", which it does not describe');
  });
});

describe.skipIf(!existsSync(path.join(ROOT, '..', 'shared', 'runcomfy-models')))('the fixtures', () => {
  it('are RunComfy’s schemas as ../shared keeps them, byte for byte', () => {
    for (const f of readdirSync(FIXTURES)) {
      expect(readFileSync(path.join(FIXTURES, f), 'utf8'), f).toBe(readFileSync(path.join(ROOT, '..', 'shared', 'runcomfy-models', f), 'utf8'));
    }
  });
});
