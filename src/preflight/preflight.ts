/**
 * Pre-flight of generate_video: both frames checked (in parallel, each distinct
 * one once) before anything is submitted, every problem reported at once.
 */
import { IMAGE_FIELDS, type ImageField, type ModelInput } from '../model/kling-o1.js';
import { checkFrames, type CheckedFrame, type ImageSources } from './frames.js';
import type { ImageReport } from './inspect-image.js';

export type PreflightReport = Record<ImageField, ImageReport>;

export interface Preflight {
  checks: PreflightReport;
  /** The input to submit: URLs as given, local images as data: URIs of the checked bytes. */
  submit: ModelInput;
  /** The input to record: URLs, file paths or data: digests, never base64. */
  record: ModelInput;
  sha256: Record<ImageField, string>;
}

export async function preflightImages(input: ModelInput, sources: ImageSources, signal?: AbortSignal): Promise<Preflight> {
  const checked = await checkFrames(
    IMAGE_FIELDS.map((field) => ({ label: field, ref: input[field] })),
    sources,
    signal,
  );
  const each = <K extends keyof CheckedFrame>(key: K) =>
    Object.fromEntries(IMAGE_FIELDS.map((field) => [field, checked.get(input[field])![key]])) as Record<ImageField, CheckedFrame[K]>;
  return { checks: each('report'), submit: { ...input, ...each('send') }, record: { ...input, ...each('record') }, sha256: each('sha256') };
}
