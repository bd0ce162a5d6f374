/**
 * RunComfy's input schemas, read. A model module pastes its endpoint's schema
 * verbatim (as `GET /v1/models/{id}` answers `input_schema`); this reader turns
 * each field into a zod argument whose messages say what to send, so tool
 * arguments, pre-flight and the simulator's checks all follow the schema. It
 * takes the dialect RunComfy actually serves, not only clean JSON Schema:
 * `"type": "float"`, `"default": null`, integer enums, media fields marked by
 * `format` (`image_uri`, `image_uris`, `audio_uri`, …) with `validations` in
 * RunComfy's rule format. zod's own `z.fromJSONSchema` refuses `float`, and its
 * messages ("Invalid input") would not tell an agent what to send.
 *
 * A field the schema requires gets no default even where the schema shows one:
 * RunComfy's published defaults of required fields are sample values (the
 * seed's frames default to its demo images).
 */
import { z } from 'zod';
import { imageFieldDoc, imageUrlField, mediaUrlField, promptField, typeError } from './fields.js';
import type { ImageRule } from './image-rules.js';

/** One field of a published input schema. */
export interface PublishedField {
  readonly type?: string;
  readonly title?: string;
  readonly description?: string;
  readonly enum?: readonly (string | number)[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly format?: string;
  readonly items?: PublishedField;
  /** RunComfy's rules for a media field, read by image-rules.ts. */
  readonly validations?: readonly ImageRule[];
}

/** A model's input schema as RunComfy publishes it. */
export interface PublishedSchema {
  readonly type?: string;
  readonly title?: string;
  readonly required?: readonly string[];
  readonly properties: Readonly<Record<string, PublishedField>>;
}

export type MediaKind = 'image' | 'video' | 'audio';

/** A media field as its `format` marks it: what it holds, and whether it is a list. */
export function mediaOf(field: PublishedField): { kind: MediaKind; list: boolean } | undefined {
  const m = /^(image|video|audio)_uri(s?)$/.exec(field.format ?? '');
  return m ? { kind: m[1] as MediaKind, list: m[2] === 's' } : undefined;
}

/** A field's published default, when it is one to apply: not on required or media fields (samples there), never null. */
export function appliedDefault(schema: PublishedSchema, name: string, isMedia: boolean): unknown {
  const field = schema.properties[name]!;
  if (schema.required?.includes(name) || isMedia || field.default === null) return undefined;
  return field.default;
}

/** What a model module adds to a field: our words where the schema's would not tell an agent enough, our limits. */
export interface FieldWords {
  /** The field's description (default: derived from the schema's). */
  doc?: string;
  /** For a media field: what it is for, opening its description (default: the schema's description). */
  purpose?: string;
  /** For text: completes "a string …" in the type error; `empty` says what to write when it is blank. */
  what?: string;
  empty?: string;
  /** A limit the schema does not publish (a prompt's length). */
  maxLength?: number;
  /** A default over the schema's (e.g. a costly upstream default turned off); `null` removes it. */
  default?: unknown;
  /** For numbers: the unit in messages ("seconds"; default: read from "in seconds" in the description). */
  unit?: string;
}

/**
 * What the reader needs of a media field, which the model declares (the seed's frames carry no `format`):
 * what it holds, the file types it accepts, and the model's short name, for messages.
 */
export interface MediaWords {
  kind: MediaKind;
  modelName: string;
  types: readonly string[];
}

/** Longest free text taken when neither the schema nor the model sets a limit. */
const TEXT_MAX_CHARS = 10_000;

/** "5 or 10", "1K or 2K", "a, b or c". */
export function orList(values: readonly (string | number)[]): string {
  const shown = values.map(String);
  return shown.length <= 2 ? shown.join(' or ') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

const sentence = (s: string | undefined) => (s ?? '').trim().replace(/\.$/, '');

const READABLE_TYPES = new Set(['string', 'integer', 'number', 'float', 'boolean']);

/** Why the reader cannot take a field, if it cannot: checked without building its zod argument (cheap at definition). */
function fieldProblem(schema: PublishedSchema, name: string, media?: MediaWords): string | undefined {
  const field = schema.properties[name];
  if (!field) return `"${name}" is not a field of its schema`;
  const marked = mediaOf(field);
  if (marked && !media) return `media field "${name}" (${field.format}) needs its accepted file types declared`;
  if (marked && marked.kind !== media?.kind) return `media field "${name}" (${field.format}) must be declared as ${marked.kind}`;
  if (!media && !(field.enum && field.enum.length > 0) && !READABLE_TYPES.has(field.type ?? ''))
    return `field "${name}" has a type this server cannot read (${JSON.stringify(field.type)})`;
  return undefined;
}

/** One field as a zod argument; undefined (with why) when the reader cannot take it. */
export function readField(
  schema: PublishedSchema,
  name: string,
  words: FieldWords = {},
  media?: MediaWords,
): { ok: true; zod: z.ZodType } | { ok: false; problem: string } {
  const problem = fieldProblem(schema, name, media);
  if (problem) return { ok: false, problem };
  const field = schema.properties[name]!;
  const required = schema.required?.includes(name) ?? false;
  const fallback = words.default === null ? undefined : (words.default ?? appliedDefault(schema, name, media !== undefined));
  const described = sentence(field.description);
  let zod: z.ZodType;
  let doc = words.doc;

  if (media) {
    const medium = { kind: media.kind, list: field.type === 'array' };
    const spec = { modelName: media.modelName, types: media.types, rules: field.validations ?? [] };
    const purpose = words.purpose ?? (described || `The ${medium.kind} for ${name}`);
    const text = (doc ??=
      medium.kind === 'image' ? imageFieldDoc(purpose, spec) : `${purpose}: an https:// URL or a data: URI. Accepted file types: ${media.types.join(', ')}.`);
    const one = (label: string) => (medium.kind === 'image' ? imageUrlField(label, spec, text) : mediaUrlField(label, spec, text));
    if (!medium.list) zod = one(name);
    else {
      const min = field.minItems ?? (required ? 1 : 0);
      const max = field.maxItems ?? Infinity;
      // Refinements, not zod's min/max, which would also count the characters of a string given instead of a list.
      zod = z
        .array(one(`an item of ${name}`), { error: typeError(name, `a list of ${medium.kind} references`) })
        .refine((l) => l.length >= min, { error: `${name} needs at least ${min} ${medium.kind}(s).` })
        .refine((l) => l.length <= max, { error: `${name} takes at most ${max} ${medium.kind}(s).` })
        .meta({ ...(min > 0 && { minItems: min }), ...(max < Infinity && { maxItems: max }) });
    }
  } else if (field.enum && field.enum.length > 0) {
    const values = field.enum;
    const unit = words.unit ?? unitOf(field);
    const numeric = values.every((v) => typeof v === 'number');
    const error = numeric
      ? `${name} must be ${orList(values)} (${unit ? `${unit}, ` : ''}a number).`
      : `${name} must be one of ${orList(values.map((v) => `"${v}"`))}.`;
    doc ??= `${described || name}: ${orList(values)}${fallback !== undefined ? ` (default ${String(fallback)})` : ''}.`;
    zod = z.literal(values as [string | number, ...(string | number)[]], { error });
  } else {
    switch (field.type) {
      case 'string': {
        const maxChars = words.maxLength ?? field.maxLength ?? TEXT_MAX_CHARS;
        doc ??= [field.description?.trim(), `At most ${maxChars} characters.`].filter(Boolean).join(' ');
        zod = promptField({
          field: name,
          what: words.what ?? 'of text',
          empty: words.empty ?? `write the ${name}${described ? ` (${described})` : ''}.`,
          minChars: required ? 1 : 0,
          maxChars,
          doc,
        });
        break;
      }
      case 'integer':
      case 'number':
      case 'float': {
        const whole = field.type === 'integer';
        const unit = words.unit ?? unitOf(field);
        const range = [field.minimum !== undefined && `from ${field.minimum}`, field.maximum !== undefined && `to ${field.maximum}`].filter(Boolean).join(' ');
        const error = `${name} must be ${whole ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}${unit ? ` (${unit})` : ''}.`;
        let n = z.number({ error });
        if (whole) n = n.int({ error });
        if (field.minimum !== undefined) n = n.min(field.minimum, { error });
        if (field.maximum !== undefined) n = n.max(field.maximum, { error });
        doc ??= `${described || name}${range ? ` (${range})` : ''}${fallback !== undefined ? `; default ${String(fallback)}` : ''}.`;
        zod = n;
        break;
      }
      default:
        // 'boolean': fieldProblem refused every type not read above.
        doc ??= `${described || name}${fallback !== undefined ? ` (default ${String(fallback)})` : ''}.`;
        zod = z.boolean({ error: `${name} must be true or false.` });
    }
  }
  if (fallback !== undefined) return { ok: true, zod: zod.default(fallback).describe(doc) };
  return { ok: true, zod: (required ? zod : zod.optional()).describe(doc) };
}

/** The unit a number is in, as its description says ("Video duration in seconds."). */
function unitOf(field: PublishedField): string | undefined {
  return /\bin (seconds|milliseconds|pixels)\b/i.exec(field.description ?? '')?.[1]?.toLowerCase();
}

type MediaOf = (name: string) => MediaWords | undefined;

/** Every reason a schema cannot be read, without reading it: a model checks this when defined and reads on first use. */
export function schemaProblems(schema: PublishedSchema, words: Readonly<Record<string, FieldWords>> = {}, media: MediaOf = () => undefined): string[] {
  const problems = Object.keys(schema.properties).flatMap((name) => fieldProblem(schema, name, media(name)) ?? []);
  for (const name of schema.required ?? []) if (!(name in schema.properties)) problems.push(`it requires "${name}", which it does not describe`);
  for (const name of Object.keys(words)) if (!(name in schema.properties)) problems.push(`"${name}" is not a field of its schema`);
  return problems;
}

/** Every field of a schema as zod arguments, in the schema's order, or every reason it cannot be read. */
export function readSchema(
  schema: PublishedSchema,
  words: Readonly<Record<string, FieldWords>> = {},
  media: MediaOf = () => undefined,
): { shape: Record<string, z.ZodType>; problems: string[] } {
  const shape: Record<string, z.ZodType> = {};
  for (const name of Object.keys(schema.properties)) {
    const read = readField(schema, name, words[name], media(name));
    if (read.ok) shape[name] = read.zod;
  }
  return { shape, problems: schemaProblems(schema, words, media) };
}

/* What a schema's input is, for the compiler: a model module's schema pasted `as const` types its input. */

type ValueOf<F> = F extends { readonly enum: readonly (infer E)[] }
  ? E
  : F extends { readonly type: 'array' }
    ? string[]
    : F extends { readonly type: 'string' }
      ? string
      : F extends { readonly type: 'integer' | 'number' | 'float' }
        ? number
        : F extends { readonly type: 'boolean' }
          ? boolean
          : unknown;
type Props<S extends PublishedSchema> = S['properties'];
type RequiredOf<S extends PublishedSchema> = S extends { readonly required: readonly (infer R)[] } ? R & keyof Props<S> : never;
/** Fields always present after parsing: required ones, and others whose default is applied (not media, not null). */
type GivenOf<S extends PublishedSchema> =
  | RequiredOf<S>
  | {
      [K in keyof Props<S>]: Props<S>[K] extends { readonly format: string }
        ? never
        : Props<S>[K] extends { readonly default: NonNullable<unknown> }
          ? K
          : never;
    }[keyof Props<S>];

/** A schema's parsed input: `InputOf<typeof SCHEMA>`. */
export type InputOf<S extends PublishedSchema> = { -readonly [K in GivenOf<S>]: ValueOf<Props<S>[K]> } & {
  -readonly [K in Exclude<keyof Props<S>, GivenOf<S>>]?: ValueOf<Props<S>[K]>;
};
