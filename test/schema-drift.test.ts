/**
 * Live-schema drift (src/models/schema-drift.ts), pure: each kind of difference between RunComfy's live input
 * schema and ours, against one request's body and against everything a model may send.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, models } from '../src/models/registry.js';
import { DRIFT_ADVICE, driftText, fieldsSent, inputSchemaJson, schemaDrift, type InputSchema, type Sends } from '../src/models/schema-drift.js';

const RULE = { validation_rule: 'file_size_mb<', validation_value: 10, validation_error: 'File size must be less than 10 MB.' };
const RATIO = { validation_rule: 'width/height<', validation_value: 2.5, validation_error: 'The aspect ratio range should be between 0.40 and 2.50.' };

/** A small engine: a prompt, a start frame with rules, an optional end frame, a 3–15 s duration, a sound switch; cfg_scale is never sent. */
const OURS: InputSchema = {
  required: ['prompt', 'start_image_url'],
  properties: {
    prompt: { type: 'string', maxLength: 2500 },
    start_image_url: { type: 'string', validations: [RULE, RATIO] },
    end_image_url: { type: 'string' },
    duration: { type: 'integer', minimum: 3, maximum: 15, default: 5 },
    generate_audio: { type: 'boolean', default: false },
    cfg_scale: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
  },
};
const SENDS: Sends = {
  fields: { prompt: 'always', start_image_url: 'always', end_image_url: 'sometimes', duration: 'always', generate_audio: 'always' },
};
const BODY = { prompt: 'a cat', start_image_url: 'https://x/a.png', duration: 5, generate_audio: false };

/** Ours with `change` applied to one copy: what RunComfy might answer tomorrow. */
function live(change: (s: { required: string[]; properties: Record<string, Record<string, unknown>> }) => void): InputSchema {
  const copy = structuredClone(OURS) as { required: string[]; properties: Record<string, Record<string, unknown>> };
  change(copy);
  return copy as InputSchema;
}

const kinds = (ds: { kind: string; field: string }[]) => ds.map((d) => `${d.kind}:${d.field}`);

describe('schemaDrift', () => {
  it('the same schema, and RunComfy\'s own spellings of it ("float", "default": null), make no difference', () => {
    expect(schemaDrift(OURS, OURS, SENDS)).toEqual({ refuse: [], notes: [] });
    expect(schemaDrift(OURS, OURS, { body: BODY })).toEqual({ refuse: [], notes: [] });
    const spelled = live((s) => {
      s.properties.cfg_scale!.type = 'float';
      s.properties.end_image_url!.default = null;
    });
    expect(schemaDrift(spelled, OURS, SENDS)).toEqual({ refuse: [], notes: [] });
  });

  it('a required field we do not send refuses, named; one we send only sometimes refuses too', () => {
    const seed = live((s) => {
      s.properties.seed = { type: 'integer' };
      s.required.push('seed');
    });
    const d = schemaDrift(seed, OURS, SENDS);
    expect(kinds(d.refuse)).toEqual(['required_not_sent:seed']);
    expect(d.refuse[0]!.detail).toBe('`seed` is now required, and this server does not send it.');
    expect(kinds(schemaDrift(seed, OURS, { body: BODY }).refuse)).toEqual(['required_not_sent:seed']);

    const end = live((s) => s.required.push('end_image_url'));
    expect(schemaDrift(end, OURS, SENDS).refuse[0]!.detail).toBe('`end_image_url` is now required, and this server does not always send it.');
    expect(kinds(schemaDrift(end, OURS, { body: BODY }).refuse)).toEqual(['required_not_sent:end_image_url']);
    expect(schemaDrift(end, OURS, { body: { ...BODY, end_image_url: 'https://x/b.png' } }).refuse).toEqual([]);
  });

  it('a field we send that is gone refuses; one we never send that is gone is a note', () => {
    const d = schemaDrift(
      live((s) => {
        delete s.properties.generate_audio;
        delete s.properties.cfg_scale;
      }),
      OURS,
      SENDS,
    );
    expect(kinds(d.refuse)).toEqual(['field_gone:generate_audio']);
    expect(kinds(d.notes)).toEqual(['field_gone:cfg_scale']);
    // A request that leaves the optional end frame out is untouched by its going.
    const noEnd = live((s) => delete s.properties.end_image_url);
    expect(schemaDrift(noEnd, OURS, { body: BODY }).refuse).toEqual([]);
    expect(kinds(schemaDrift(noEnd, OURS, { body: { ...BODY, end_image_url: 'https://x/b.png' } }).refuse)).toEqual(['field_gone:end_image_url']);
  });

  it('a value we send outside the live enum refuses, naming the values; new values are a note', () => {
    const tiers = live((s) => (s.properties.duration = { type: 'integer', enum: [5, 10] }));
    const d = schemaDrift(tiers, OURS, SENDS);
    expect(kinds(d.refuse)).toEqual(['enum_changed:duration']);
    expect(d.refuse[0]!.detail).toBe('`duration` now takes only 5, 10, and this server may send 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 15.');
    expect(schemaDrift(tiers, OURS, { body: BODY }).refuse).toEqual([]);
    expect(schemaDrift(tiers, OURS, { body: { ...BODY, duration: 7 } }).refuse[0]!.detail).toBe('`duration` now takes only 5, 10, and this server sends 7.');

    const ours = live((s) => (s.properties.duration = { type: 'integer', enum: [5, 10] }));
    const wider = live((s) => (s.properties.duration = { type: 'integer', enum: [5, 10, 15] }));
    expect(schemaDrift(wider, ours, SENDS)).toEqual({
      refuse: [],
      notes: [expect.objectContaining({ kind: 'enum_changed', detail: '`duration` now also takes 15.' })],
    });
  });

  it('a value we send outside the live range refuses (numbers, string lengths); a wider range is a note', () => {
    const shorter = live((s) => (s.properties.duration!.maximum = 10));
    expect(schemaDrift(shorter, OURS, SENDS).refuse[0]!.detail).toBe(
      '`duration`: its value must now be at least 3 and at most 10, and this server may send at least 3 and at most 15.',
    );
    expect(schemaDrift(shorter, OURS, { body: BODY }).refuse).toEqual([]);
    expect(kinds(schemaDrift(shorter, OURS, { body: { ...BODY, duration: 12 } }).refuse)).toEqual(['range_changed:duration']);

    const prompt = live((s) => (s.properties.prompt!.maxLength = 2000));
    expect(kinds(schemaDrift(prompt, OURS, SENDS).refuse)).toEqual(['range_changed:prompt']);
    expect(schemaDrift(prompt, OURS, { body: BODY }).refuse).toEqual([]);
    expect(schemaDrift(prompt, OURS, { body: { ...BODY, prompt: 'é'.repeat(2001) } }).refuse[0]!.detail).toBe(
      '`prompt`: its length must now be at most 2000, and this server sends 2001 characters.',
    );

    const above = live((s) => (s.properties.duration = { type: 'integer', exclusiveMinimum: 3, maximum: 15 }));
    expect(kinds(schemaDrift(above, OURS, SENDS).refuse)).toEqual(['range_changed:duration']);

    const longer = live((s) => (s.properties.duration!.maximum = 20));
    expect(schemaDrift(longer, OURS, SENDS)).toEqual({
      refuse: [],
      notes: [expect.objectContaining({ kind: 'range_changed', detail: '`duration`: its value may now be at least 3 and at most 20.' })],
    });
  });

  it('a type we do not send refuses; an integer where a number is asked is fine', () => {
    const text = live((s) => (s.properties.duration!.type = 'string'));
    expect(kinds(schemaDrift(text, OURS, SENDS).refuse)).toEqual(['type_changed:duration']);
    expect(schemaDrift(text, OURS, { body: BODY }).refuse[0]!.detail).toBe('`duration` must now be of type string, and this server sends 5.');
    const number = live((s) => (s.properties.duration!.type = 'float'));
    expect(schemaDrift(number, OURS, SENDS).refuse).toEqual([]);
    const integer = live((s) => (s.properties.cfg_scale!.type = 'integer'));
    expect(kinds(schemaDrift(integer, OURS, { fields: { ...SENDS.fields, cfg_scale: 'always' } }).refuse)).toEqual(['type_changed:cfg_scale']);
  });

  it("changed validations on a media field we send refuse; the same rules in another order do not; on a field we don't send, a note", () => {
    const stricter = live((s) => (s.properties.start_image_url!.validations = [{ ...RULE, validation_value: 5 }, RATIO]));
    const d = schemaDrift(stricter, OURS, SENDS);
    expect(kinds(d.refuse)).toEqual(['validations_changed:start_image_url']);
    expect(d.refuse[0]!.detail).toBe(
      '`start_image_url`: its `validations` changed (1 rule added, 1 removed), and this server checks what it sends by the old ones.',
    );
    expect(kinds(schemaDrift(stricter, OURS, { body: BODY }).refuse)).toEqual(['validations_changed:start_image_url']);

    const published = live((s) => (s.properties.end_image_url!.validations = [RULE]));
    expect(kinds(schemaDrift(published, OURS, SENDS).refuse)).toEqual(['validations_changed:end_image_url']);
    expect(schemaDrift(published, OURS, { body: BODY })).toEqual({
      refuse: [],
      notes: [expect.objectContaining({ kind: 'validations_changed', severity: 'note' })],
    });

    const reordered = live(
      (s) =>
        (s.properties.start_image_url!.validations = [
          { ...RATIO },
          { validation_error: RULE.validation_error, validation_rule: RULE.validation_rule, validation_value: 10 },
        ]),
    );
    expect(schemaDrift(reordered, OURS, SENDS)).toEqual({ refuse: [], notes: [] });
  });

  it('additions that change nothing we send are notes: a new optional field, a dropped requirement, a new default of a field we leave alone', () => {
    const d = schemaDrift(
      live((s) => {
        s.properties.negative_prompt = { type: 'string', default: '' };
        s.properties.shot_type = { type: 'string', enum: ['customize'], default: 'customize' };
        s.required = ['start_image_url'];
        s.properties.cfg_scale!.default = 0.7;
      }),
      OURS,
      SENDS,
    );
    expect(d.refuse).toEqual([]);
    expect(kinds(d.notes).sort()).toEqual(['default_changed:cfg_scale', 'field_added:negative_prompt', 'field_added:shot_type', 'required_dropped:prompt']);
    expect(d.notes.find((n) => n.field === 'shot_type')!.detail).toBe('`shot_type` is a new optional input (default "customize").');
    expect(d.notes.find((n) => n.field === 'cfg_scale')!.detail).toBe("`cfg_scale` (not sent, so RunComfy's default applies) now defaults to 0.7.");
  });
});

describe('driftText', () => {
  it('names the model, every refusing difference and what to do; without one, says nothing sent changes', () => {
    const d = schemaDrift(
      live((s) => {
        s.properties.seed = { type: 'integer' };
        s.required.push('seed');
        delete s.properties.generate_audio;
      }),
      OURS,
      SENDS,
    );
    expect(driftText('kling/x', d)).toBe(
      'RunComfy has changed the input of kling/x since this version of kling-o1-mcp was made: ' +
        '`seed` is now required, and this server does not send it. `generate_audio` is no longer one of its inputs, and this server sends it. ' +
        DRIFT_ADVICE,
    );
    expect(driftText('kling/x', schemaDrift(OURS, OURS, SENDS))).toBe("RunComfy's live input schema of kling/x changes nothing this server sends.");
  });
});

describe('inputSchemaJson (the live answer, parsed)', () => {
  it("reads RunComfy's spellings, and a malformed keyword as absent; what has no properties is no input schema", () => {
    const parsed = inputSchemaJson.parse({
      type: 'object',
      required: ['prompt'],
      properties: { duration: { type: 'float', default: null, minimum: null, maximum: 15, title: 'Duration' }, prompt: { type: 'string' } },
    });
    expect(parsed.properties.duration).toMatchObject({ type: 'float', default: null, maximum: 15 });
    expect(parsed.properties.duration!.minimum).toBeUndefined();
    expect(inputSchemaJson.safeParse({ type: 'object' }).success).toBe(false);
    expect(inputSchemaJson.safeParse('schema').success).toBe(false);
  });

  it("every registered model's own schema reads back as itself, with no difference", () => {
    for (const model of models()) {
      const sent = { fields: fieldsSent(model) };
      expect(schemaDrift(inputSchemaJson.parse(JSON.parse(JSON.stringify(model.schema))), model.schema, sent), model.id).toEqual({ refuse: [], notes: [] });
    }
  });
});

describe('fieldsSent', () => {
  it("is the model's input fields: required ones and those with a default always, optional ones sometimes", () => {
    expect(fieldsSent(DEFAULT_MODEL)).toEqual({ prompt: 'always', start_image_url: 'always', end_image_url: 'always', duration: 'always' });
  });
});
