/**
 * What a RunComfy endpoint is to this server: its input schema as RunComfy
 * publishes it, plus only what that schema cannot say (what it makes, its
 * price rule, what its media fields accept, its run times, what the simulator
 * makes for it). A module of this folder declares one with `defineModel`
 * (define.ts), which derives the rest; registry.ts registers it. The client,
 * pricing, pre-flight, polling, the simulator and the schema resource all read it.
 */
import type { z } from 'zod';
import type { ImageRule } from './image-rules.js';
import type { ModelOutput } from './output.js';
import type { MediaKind, PublishedSchema } from './schema.js';

/** What a model makes: the kind of its result (RunComfy's `output_type`, in lower case). */
export const OUTPUT_KINDS = ['video', 'image', 'audio'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** RunComfy's `price_unit` words: per second of output, per image made, per output (one run). */
export type PriceUnit = 'second' | 'image' | 'output';

/** A model's input, whatever its fields (each model module types its own, `InputOf<typeof SCHEMA>`). */
export type ModelInputBase = Record<string, unknown>;

/** How one input is priced: `units(input)` × the price per unit (what RunComfy publishes for the input, else its live base × `factor`). */
export interface PriceRule<I> {
  unit: PriceUnit;
  /** How many units the input is billed for: its seconds of video, its images; 1 for a per-output price. */
  units(input: I): number;
  /** A price per unit RunComfy publishes for this input (a resolution tier's), and where it says so; it wins over the live base price. */
  published?: { usd(input: I): number | undefined; source: string };
  /** What the input does to the live base price (a sound switch adding 25 %: 1.25); 1 when absent. */
  factor?(input: I): number;
  /** Where the factor comes from, as a quote shows it ("sound adds 25 %, its schema says"). */
  factorSource?: string;
}

/** What an image field accepts, as the model's schema publishes it. */
export interface ImageSpec {
  /** The model's name in messages ("Kling O1 accepts only …"). */
  modelName: string;
  /** File types as the schema writes them (jpg and jpeg both mean JPEG). */
  types: readonly string[];
  /** The schema's `validations`, verbatim: pre-flight interprets them (image-rules.ts). */
  rules: readonly ImageRule[];
}

/** A media input field: what it holds (from the schema's `format`), whether it is a list, what it accepts. */
export interface MediaField extends ImageSpec {
  kind: MediaKind;
  list: boolean;
}

/** What the simulator makes for an input, by the model's output kind. */
export type SimulatedOutput<I> =
  /**
   * A clip fading through these images in order (one: a still), of this width/height (default: the first image's),
   * with sound when it says so (an AAC track playing a tune drawn from the input), `scale` times the simulator's
   * clip width (a 4K engine's clips are larger, so they do not join with others by packet copy, as upstream).
   */
  | { kind: 'video'; video(input: I): { frames: string[]; aspect?: number; sound?: boolean; scale?: number } }
  /** A picture of this size and format whose pixels follow the prompt and every reference image. */
  | { kind: 'image'; image(input: I): { width: number; height: number; format: 'png' | 'jpeg'; prompt: string; references: string[] } }
  /** An MP3 of this many seconds. */
  | { kind: 'audio'; audio(input: I): { seconds: number } };

/** What the simulator does for the model (src/simulator/). */
export interface SimulatedModel<I> {
  /** What its model endpoint publishes (RunComfy's price fields). */
  price: { base_price_usd: number; price_unit: PriceUnit; pricing_note?: string };
  /** Queue and run time of an input, unless the simulator is given others. */
  timing(input: I): { queueMs: number; runMs: number };
  makes: SimulatedOutput<I>;
}

/**
 * How a video model takes a clip from the clip and board tools, whose arguments are the same for every engine
 * (start_image_url, end_image_url, duration, sound): the field of its start frame, of its end frame (absent: it
 * takes none) and of its sound switch (absent: it makes no sound). Models without it are not clip engines.
 */
export interface ClipFields {
  start: string;
  end?: string;
  sound?: string;
}

/** The model's input as tool arguments: one zod argument per field of its schema. */
export type InputShape<I> = { [K in keyof I]-?: z.ZodType<I[K]> };

export interface Model<I extends ModelInputBase = ModelInputBase, F extends string = string> {
  /** RunComfy's model id: the path after /v1/models/ (its price is read from GET /v1/models/{id}). */
  readonly id: string;
  /** Its short name in URIs (kling://models/{key}/schema), since ids contain slashes: the module's file name. */
  readonly key: string;
  readonly title: string;
  /** Its short name in messages ("Kling O1"). */
  readonly name: string;
  /** Its input schema exactly as RunComfy publishes it (`input_schema` of GET /v1/models/{id}). */
  readonly schema: PublishedSchema;
  readonly makes: OutputKind;
  /** Its input as tool arguments (zod shape, read from `schema`), with actionable messages; what is sent is exactly these fields. */
  readonly inputShape: InputShape<I>;
  readonly input: z.ZodType<I>;
  /** Its media fields (images, audio, video) and what each accepts. */
  readonly media: Readonly<Record<string, MediaField>>;
  /** Its image fields (`F`), single or lists: pre-flight checks every image before anything is paid for. */
  readonly images: Readonly<Record<F, ImageSpec>>;
  readonly price: PriceRule<I>;
  /** How it takes a clip, if it is an engine of the clip and board tools. */
  readonly clip?: ClipFields;
  /** Its clip lengths in seconds, when its input has a `duration` (run times are learned per length). */
  readonly durations?: readonly number[];
  /**
   * Expected run time (in_progress → completed), until the ledger has learned it: per clip length for a model
   * with durations, else one figure.
   */
  readonly expectedRunMs: number | Readonly<Record<number, number>>;
  /** The `output` of a completed request. */
  readonly output: z.ZodType<ModelOutput>;
  readonly simulator: SimulatedModel<I>;
}

/** Any registered model, whatever its input. */
export type AnyModel = Model<ModelInputBase, string>;

/** The parsed input of a model: `ModelInputOf<typeof DEFAULT_MODEL>`. */
export type ModelInputOf<M> = M extends Model<infer I, string> ? I : never;
