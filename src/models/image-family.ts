/**
 * What image models share: the size a simulator draws for an aspect ratio and
 * resolution tier, and a family (a text-to-image endpoint with its reference
 * endpoint, which takes images to keep a character the same), which is what
 * `generate_keyframes` chooses between.
 */
import type { AnyModel } from './model.js';

/** A family of image endpoints: one for a prompt alone, one that also takes reference images. */
export interface ImageFamily {
  /** Its short key (`model` accepts it, or either endpoint's id or key). */
  key: string;
  name: string;
  text: AnyModel;
  reference: AnyModel;
  /** The reference endpoint's field holding the reference images (a list). */
  referenceField: string;
}

/** Pixels a side of a square at each resolution tier; a model without tiers draws at 1K. */
const TIER_PX: Readonly<Record<string, number>> = { '1K': 1024, '2K': 2048 };

/** The width/height of an aspect ratio ("16:9"; "auto" is square) at a tier's pixel count, in multiples of 16. */
export function imageSize(aspect: string, resolution: string | undefined): { width: number; height: number } {
  const side = TIER_PX[resolution ?? '1K'] ?? 1024;
  const [a, b] = aspect === 'auto' ? [1, 1] : aspect.split(':').map(Number);
  const ratio = a! / b!;
  const snap = (n: number) => Math.max(16, Math.round(n / 16) * 16);
  return { width: snap(side * Math.sqrt(ratio)), height: snap(side / Math.sqrt(ratio)) };
}

/** An aspect ratio's width/height as a number ("auto": undefined). */
export function aspectValue(aspect: string): number | undefined {
  const m = /^(\d+):(\d+)$/.exec(aspect);
  return m ? Number(m[1]) / Number(m[2]) : undefined;
}
