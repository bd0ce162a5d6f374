import { describe, expect, it } from 'vitest';
import { describeRules, imageRuleViolations, MB, sizeCap, unknownRules, type ImageRule } from '../src/models/image-rules.js';
import type { ImageSpec } from '../src/models/model.js';
import { DEFAULT_MODEL, models, registerModel } from '../src/models/registry.js';
import { AllowedFolders } from '../src/preflight/allowed-folders.js';
import { ImageFetcher } from '../src/preflight/fetch-image.js';
import { checkFrames } from '../src/preflight/frames.js';
import { image } from './helpers.js';

/**
 * The model registry and the one interpreter of RunComfy's image rules. The
 * first test is the start-up check: every registered model's rules must be
 * readable, so a rule pasted from a new schema that this server does not know
 * fails here, not silently at run time.
 */

const rule = (validation_rule: string, validation_value: number, validation_error = `${validation_rule} ${validation_value}`): ImageRule => ({
  validation_rule,
  validation_value,
  validation_error,
});

describe('the model registry', () => {
  it('every image rule of every registered model is one the interpreter reads', () => {
    expect(models().length).toBeGreaterThan(0);
    for (const model of models()) {
      for (const [field, spec] of Object.entries(model.images)) expect(unknownRules(spec.rules), `${model.id} ${field}`).toEqual([]);
    }
  });

  it('every model checks the rules its schema publishes, field by field, and its durations are its schema’s', () => {
    for (const model of models()) {
      for (const [field, spec] of Object.entries(model.images))
        expect(model.schema.properties[field]?.validations ?? [], `${model.id} ${field}`).toEqual(spec.rules);
      if (model.durations) expect(model.schema.properties.duration?.enum ?? model.durations).toEqual(model.durations);
    }
  });

  it('every registered model reads into zod arguments, one per schema field (read on first use, not at start)', () => {
    for (const model of models()) expect(Object.keys(model.inputShape), model.id).toEqual(Object.keys(model.schema.properties));
  });

  it('the seed is the default, and a model that does not hold together is refused with every reason', () => {
    expect(DEFAULT_MODEL.id).toBe('kling/kling-video-o1/image-to-video');
    expect(models()[0]).toBe(DEFAULT_MODEL);
    expect(() => registerModel(DEFAULT_MODEL)).toThrow(/already registered/);
    const renders = { ...DEFAULT_MODEL.simulator, makes: { kind: 'audio' as const, audio: () => ({ seconds: 1 }) } };
    const broken = { ...DEFAULT_MODEL, id: 'x/broken', key: 'Broken Key', expectedRunMs: { 5: 1 }, simulator: renders };
    expect(() => registerModel(broken)).toThrow(
      /must be lower-case.*no expected run time for 10 s clips.*its simulator makes audio, but the model makes video/,
    );
    expect(models().map((m) => m.id)).not.toContain('x/broken');
  });
});

describe('image rules as data', () => {
  const seed = DEFAULT_MODEL.images.start_image_url.rules;

  it("the seed's rules in words are the field description's sentence", () => {
    expect(describeRules(seed)).toBe('Must be under 10 MB, wider and taller than 300 px, with width/height between 0.40 and 2.50.');
    expect(describeRules([rule('width_pixels>=', 200), rule('height_pixels<=', 4000), rule('width/height<=', 2)])).toBe(
      'Must be at least 200 px wide, at most 4000 px tall, with width/height at most 2.00.',
    );
  });

  it('the size limit comes from the tightest size rule, else RunComfy’s 50 MB recommendation', () => {
    expect(sizeCap(seed).maxBytes).toBe(10 * MB - 1);
    expect(sizeCap([rule('file_size_mb<=', 2), rule('file_size_mb<', 5)]).maxBytes).toBe(2 * MB);
    expect(sizeCap([rule('width_pixels>', 1)])).toMatchObject({ maxBytes: 50 * MB, rule: { validation_error: 'File size must be at most 50 MB.' } });
  });

  it('each comparison means what it says, at the boundary', () => {
    const at = (validation_rule: string) => imageRuleViolations([rule(validation_rule, 300)], { bytes: 1, width: 300, height: 300 }).length;
    expect([at('width_pixels>'), at('width_pixels>='), at('width_pixels<'), at('width_pixels<=')]).toEqual([1, 0, 1, 0]);
    expect(imageRuleViolations(seed, { bytes: 10 * MB, width: 1200, height: 300 }).map((v) => v.got)).toEqual(['10.00 MiB', 'height 300 px', '4.00']);
  });

  it('a rule it cannot read is named, and never waved through', () => {
    const odd = [rule('duration_s<', 5), rule('width_pixels!=', 1), rule('toString<', 1), rule('width_pixels>', Number.NaN)];
    expect(unknownRules([...seed, ...odd])).toEqual(odd);
    expect(() => imageRuleViolations([...seed, odd[0]!], { bytes: 1, width: 640, height: 360 })).toThrow(/cannot check the image rule\(s\) "duration_s<"/);
    // In words it is quoted, not dropped.
    expect(describeRules([rule('width_pixels>', 300), rule('is_grayscale=', 1, 'The image must be in colour.')])).toBe(
      'Must be wider than 300 px. The image must be in colour.',
    );
  });

  it('one image in fields of two models is read once and judged by each field’s own rules', async () => {
    const lenient: ImageSpec = { modelName: 'Test', types: ['png'], rules: [rule('width_pixels>=', 200, 'At least 200 px wide.')] };
    const ref = `data:image/png;base64,${(await image(250, 250)).toString('base64')}`;
    const sources = { fetcher: new ImageFetcher({ allowPrivate: false, timeoutMs: 1000 }), local: new AllowedFolders([]) };
    const both = [
      { label: 'seed start_image_url', ref, spec: DEFAULT_MODEL.images.start_image_url },
      { label: 'test image_url', ref, spec: lenient },
    ];
    await expect(checkFrames(both, sources)).rejects.toThrow(
      /^seed start_image_url: The uploaded image width and height must exceed 300 pixels\. \(got width 250 px\)\nseed start_image_url: .*height 250 px\)\nNothing was submitted/,
    );
    expect((await checkFrames([both[1]!], sources)).get(ref)?.report).toMatchObject({ width: 250, height: 250 });
  });

  it('at run time an image judged by an unknown rule is refused with a clear error, not checked without it', async () => {
    const spec: ImageSpec = { modelName: 'Kling O9', types: ['png'], rules: [...seed, rule('has_face=', 1, 'The image must show a face.')] };
    const png = await image(640, 360);
    const err = await checkFrames([{ label: 'start_image_url', ref: `data:image/png;base64,${png.toString('base64')}`, spec }], {
      fetcher: new ImageFetcher({ allowPrivate: false, timeoutMs: 1000 }),
      local: new AllowedFolders([]),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unknown_image_rule' });
    expect((err as Error).message).toMatch(/^start_image_url: Kling O9 publishes an image rule this server cannot check \("has_face="\)/);
  });
});
