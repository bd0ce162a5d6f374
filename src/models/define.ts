/**
 * A model from its published schema and what the schema cannot say: every
 * argument, media field and image rule is read from the schema (schema.ts), so
 * a model module is the schema pasted verbatim plus a few declarations.
 */
import { z } from 'zod';
import type { AnyModel, ImageSpec, MediaField, Model, OutputKind, PriceRule, SimulatedModel } from './model.js';
import { modelOutputSchema } from './output.js';
import { readSchema, schemaProblems, type FieldWords, type InputOf, type MediaKind, type PublishedSchema } from './schema.js';

/** A media field as its model declares it: what it holds (as its `format` says, where it has one) and the file types it accepts. */
export interface MediaDeclaration {
  kind: MediaKind;
  types: readonly string[];
}
type MediaDeclarations<S extends PublishedSchema> = { readonly [K in keyof S['properties']]?: MediaDeclaration };
type FieldOf<S extends PublishedSchema> = keyof S['properties'] & string;
/** The names of the declared image fields. */
type ImageFieldOf<M> = { [K in keyof M]: M[K] extends { kind: 'image' } ? K : never }[keyof M] & string;

export interface ModelSpec<S extends PublishedSchema, M extends MediaDeclarations<S>> {
  /** RunComfy's model id. */
  id: string;
  /** Short name for URIs: the module's file name. */
  key: string;
  title: string;
  /** Its name in messages ("Kling O1 accepts only …"). */
  name: string;
  /** The endpoint's input schema, pasted verbatim `as const` (it types the input). */
  schema: S;
  makes: OutputKind;
  price: PriceRule<InputOf<S>>;
  /** For a clip engine: its fields for the start frame, the end frame (if it takes one) and the sound switch (if it has one). */
  clip?: { start: FieldOf<S>; end?: FieldOf<S>; sound?: FieldOf<S> };
  /**
   * Its media fields and the file types each accepts. The schema gives their rules (`validations`) and, where it
   * marks them with `format`, their kind; the seed's frames are plain strings, so the model names them here.
   */
  media: M;
  /** Our words and limits over the schema's, field by field, where an agent needs more than it says. */
  words?: { readonly [K in keyof S['properties']]?: FieldWords };
  /** Expected run time until the ledger learns it: per clip length for a model with a `duration` field, else one figure. */
  expectedRunMs: number | Readonly<Record<number, number>>;
  simulator: SimulatedModel<InputOf<S>>;
}

/** The model a spec describes; throws, naming every reason, when its schema cannot be read or the spec does not fit it. */
export function defineModel<const S extends PublishedSchema, const M extends MediaDeclarations<S>>(spec: ModelSpec<S, M>): Model<InputOf<S>, ImageFieldOf<M>> {
  const { schema } = spec;
  const declared = spec.media as Readonly<Record<string, MediaDeclaration>>;
  const words = spec.words as Readonly<Record<string, FieldWords>> | undefined;
  const media: Record<string, MediaField> = {};
  // A field the schema marks as media (`format`) and the model does not declare is named by the check.
  for (const [name, field] of Object.entries(schema.properties)) {
    const d = declared[name];
    if (d) media[name] = { kind: d.kind, list: field.type === 'array', modelName: spec.name, types: d.types, rules: field.validations ?? [] };
  }
  const problems = Object.keys(declared).flatMap((name) => (name in schema.properties ? [] : [`"${name}" is not a field of its schema`]));
  problems.push(...schemaProblems(schema, words, (name) => media[name]));
  if (problems.length > 0) throw new Error(`model ${spec.id}: ${problems.join('; ')}`);

  // Fields that accept the same are one spec, so pre-flight judges an image used in both once (frames.ts groups by spec).
  const specs = new Map<string, ImageSpec>();
  const specOf = ({ modelName, types, rules }: ImageSpec): ImageSpec => {
    const key = JSON.stringify([modelName, types, rules]);
    if (!specs.has(key)) specs.set(key, { modelName, types, rules });
    return specs.get(key)!;
  };
  const images = Object.fromEntries(Object.entries(media).flatMap(([name, m]) => (m.kind === 'image' ? [[name, specOf(m)]] : []))) as Record<
    ImageFieldOf<M>,
    ImageSpec
  >;
  // Read into zod on first use, not here: a start reads only the models it serves (all 12 cost a cold start ~20 ms).
  let shape: Model<InputOf<S>>['inputShape'] | undefined;
  let input: z.ZodType<InputOf<S>> | undefined;
  const inputShape = () => (shape ??= readSchema(schema, words, (name) => media[name]).shape as Model<InputOf<S>>['inputShape']);
  return {
    id: spec.id,
    key: spec.key,
    title: spec.title,
    name: spec.name,
    schema,
    makes: spec.makes,
    get inputShape() {
      return inputShape();
    },
    get input() {
      return (input ??= z.object(inputShape()) as unknown as z.ZodType<InputOf<S>>);
    },
    media,
    images,
    price: spec.price,
    ...(spec.clip && { clip: spec.clip }),
    ...(durationsOf(schema) && { durations: durationsOf(schema) }),
    expectedRunMs: spec.expectedRunMs,
    output: modelOutputSchema,
    simulator: spec.simulator,
  };
}

/** The clip lengths a `duration` field allows: its enum, or every whole second of its range. */
function durationsOf(schema: PublishedSchema): number[] | undefined {
  const field = schema.properties.duration;
  if (!field) return undefined;
  if (field.enum) return field.enum.filter((v): v is number => typeof v === 'number');
  if (field.minimum === undefined || field.maximum === undefined) return undefined;
  return Array.from({ length: Math.floor(field.maximum) - Math.ceil(field.minimum) + 1 }, (_, i) => Math.ceil(field.minimum!) + i);
}

/** A model's expected run time for a clip length (its default length's, or its one figure, when the length is not one of its own). */
export function declaredRunMs(model: AnyModel, duration: number | undefined): number {
  const table = model.expectedRunMs;
  if (typeof table === 'number') return table;
  return table[duration ?? NaN] ?? table[defaultDuration(model) ?? NaN] ?? Math.max(...Object.values(table));
}

/** The `duration` its schema defaults to, if it has one. */
export function defaultDuration(model: AnyModel): number | undefined {
  const d = model.schema.properties.duration?.default;
  return typeof d === 'number' ? d : undefined;
}
