/**
 * What a RunComfy endpoint is to this server: one value per model, declared in
 * one module of this folder and registered in registry.ts. The client, pricing,
 * pre-flight, polling, the simulator and the schema resource all read it.
 */
import type { ZodRawShape, z } from 'zod';
import type { ImageRule } from './image-rules.js';
import type { ModelOutput } from './output.js';

/** What every model's input has: the clip length in seconds (prices and run times are keyed by it). */
export type ModelInputBase = {
  duration: number;
};

/** What an image field accepts, as the model's schema publishes it. */
export interface ImageSpec {
  /** The model's name in messages ("Kling O1 accepts only …"). */
  modelName: string;
  /** File types as the schema writes them (jpg and jpeg both mean JPEG). */
  types: readonly string[];
  /** The schema's `validations`, verbatim: pre-flight interprets them (image-rules.ts). */
  rules: readonly ImageRule[];
}

/** What the simulator does for the model (src/simulator/). */
export interface SimulatedModel<I> {
  /** What its model endpoint publishes (RunComfy's price fields). */
  price: { base_price_usd: number; price_unit: string; pricing_note?: string };
  /** Queue and run time per duration, unless the simulator is given others. */
  timing: Readonly<Record<number, { queueMs: number; runMs: number }>>;
  /**
   * The clip it renders for an input: the images the video passes through, in
   * order (one image: a still), its width/height (default: the first image's),
   * and whether it has sound (an AAC track playing a tune drawn from the input).
   */
  clip(input: I): { frames: string[]; aspect?: number; sound?: boolean };
}

/** A field of a published input schema (RunComfy's JSON Schema, with `validations` on image fields). */
export interface JsonSchemaField {
  title: string;
  description: string;
  type: string;
  enum?: (number | string)[];
  default?: unknown;
  maxLength?: number;
  validations?: readonly ImageRule[];
}

/** A model's input schema as RunComfy publishes it; every model has a duration. */
export interface InputJsonSchema {
  type: 'object';
  title: string;
  required: string[];
  properties: { duration: JsonSchemaField & { enum: number[] } } & Record<string, JsonSchemaField>;
}

export interface Model<I extends ModelInputBase = ModelInputBase, F extends string = string> {
  /** RunComfy's model id: the path after /v1/models/ (its price is read from GET /v1/models/{id}). */
  readonly id: string;
  /** Its short name in URIs (kling://models/{key}/schema), since ids contain slashes: the module's file name. */
  readonly key: string;
  readonly title: string;
  /** Its input as tool arguments (zod shape), with actionable messages; what is sent is exactly these fields. */
  readonly inputShape: ZodRawShape;
  readonly input: z.ZodType<I>;
  /** Its image fields and what each accepts; pre-flight checks every one before anything is paid for. */
  readonly images: Readonly<Record<F, ImageSpec>>;
  /** Its video fields (for later endpoints; pre-flight does not check videos yet). */
  readonly videoFields: readonly string[];
  readonly durations: readonly number[];
  readonly defaultDuration: number;
  /** Expected run time (in_progress → completed) per duration, until the ledger has learned it. */
  readonly expectedRunMs: Readonly<Record<number, number>>;
  /** The `output` of a completed request. */
  readonly output: z.ZodType<ModelOutput>;
  readonly simulator: SimulatedModel<I>;
  /** Its input schema as RunComfy publishes it, rebuilt from the definitions (the schema resource; the simulator's model endpoint). */
  inputJsonSchema(): InputJsonSchema;
}

/** Any registered model, whatever its input. */
export type AnyModel = Model<ModelInputBase, string>;
