/**
 * Pre-flight of one job: every image field of its model checked (in parallel,
 * each distinct image once) before anything is submitted, every problem
 * reported at once.
 */
import type { Model, ModelInputBase } from '../models/model.js';
import { checkFrames, type CheckedFrame, type ImageSources } from './frames.js';
import type { ImageReport } from './inspect-image.js';

export interface Preflight<I, F extends string> {
  checks: Record<F, ImageReport>;
  /** The input to submit: URLs as given, local images as data: URIs of the checked bytes. */
  submit: I;
  /** The input to record: URLs, file paths or data: digests, never base64. */
  record: I;
  sha256: Record<F, string>;
}

export async function preflightImages<I extends ModelInputBase & Record<F, string>, F extends string>(
  model: Model<I, F>,
  input: I,
  sources: ImageSources,
  signal?: AbortSignal,
): Promise<Preflight<I, F>> {
  const fields = Object.keys(model.images) as F[];
  const checked = await checkFrames(
    fields.map((field) => ({ label: field, ref: input[field], spec: model.images[field] })),
    sources,
    signal,
  );
  const each = <K extends keyof CheckedFrame>(key: K) =>
    Object.fromEntries(fields.map((field) => [field, checked.get(input[field])![key]])) as Record<F, CheckedFrame[K]>;
  return { checks: each('report'), submit: { ...input, ...each('send') }, record: { ...input, ...each('record') }, sha256: each('sha256') };
}
