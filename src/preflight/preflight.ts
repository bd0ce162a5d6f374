/**
 * Pre-flight of one job: every image of its model's image fields (single or
 * lists) checked (in parallel, each distinct image once) before anything is
 * submitted, every problem reported at once.
 */
import type { Model, ModelInputBase } from '../models/model.js';
import { checkFrames, type CheckedFrame, type ImageSources } from './frames.js';
import type { ImageReport } from './inspect-image.js';

/** Per image field: one entry for a single image, a list for a list of them. */
type PerField<I, F extends keyof I, T> = { [K in F]: I[K] extends readonly string[] | undefined ? T[] : T };

export interface Preflight<I, F extends keyof I> {
  checks: PerField<I, F, ImageReport>;
  /** The input to submit: URLs as given, local images as data: URIs of the checked bytes. */
  submit: I;
  /** The input to record: URLs, file paths or data: digests, never base64. */
  record: I;
  sha256: PerField<I, F, string>;
  /** What was done to make an image fit (a keyframe sent as a conforming copy), for the answer. */
  notes: string[];
}

export async function preflightImages<I extends ModelInputBase, F extends keyof I & string>(
  model: Model<I, F>,
  input: I,
  sources: ImageSources,
  signal?: AbortSignal,
  /** The name an image field has in the caller's arguments (an engine's `image` is the clip tools' start_image_url). */
  nameOf: (field: F) => string = (field) => field,
): Promise<Preflight<I, F>> {
  // An optional image field left out has nothing to check.
  const fields = (Object.keys(model.images) as F[]).filter((field) => input[field] !== undefined);
  const refsOf = (field: F): string[] => {
    const value = input[field] as string | string[];
    return Array.isArray(value) ? value : [value];
  };
  const checked = await checkFrames(
    fields.flatMap((field) => {
      const refs = refsOf(field);
      return refs.map((ref, i) => ({ label: Array.isArray(input[field]) ? `${nameOf(field)}[${i}]` : nameOf(field), ref, spec: model.images[field] }));
    }),
    sources,
    signal,
  );
  const each = <K extends keyof CheckedFrame>(key: K) =>
    Object.fromEntries(
      fields.map((field) => {
        const values = refsOf(field).map((ref) => checked.get(ref)![key]);
        return [field, Array.isArray(input[field]) ? values : values[0]];
      }),
    ) as PerField<I, F, CheckedFrame[K]>;
  const notes = [...new Set([...checked.values()].flatMap((c) => (c.note ? [c.note] : [])))];
  return { checks: each('report'), submit: { ...input, ...each('send') }, record: { ...input, ...each('record') }, sha256: each('sha256'), notes };
}
