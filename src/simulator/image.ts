/**
 * The simulator's stand-in for an image model's output: a real PNG or JPEG of
 * the size the model says, whose pixels follow the request: a colour drawn
 * from the prompt fills it, and each reference image is pasted, in order, as
 * a tile along its bottom edge, so a test can tell from the pixels which
 * references were sent (and in which order).
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';

export interface SimulatedImage {
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  prompt: string;
  references: Buffer[];
}

/** The prompt's colour: the first three bytes of its sha256. */
export function promptColour(prompt: string): { r: number; g: number; b: number } {
  const [r, g, b] = createHash('sha256').update(prompt).digest();
  return { r: r!, g: g!, b: b! };
}

/** Where reference `i` of `n` is pasted: equal tiles side by side across the bottom quarter. */
export function referenceTile(i: number, n: number, width: number, height: number): { left: number; top: number; width: number; height: number } {
  const tileWidth = Math.floor(width / n);
  const tileHeight = Math.max(1, Math.floor(height / 4));
  return { left: i * tileWidth, top: height - tileHeight, width: tileWidth, height: tileHeight };
}

export async function simulatedImage(spec: SimulatedImage): Promise<Buffer> {
  const tiles = await Promise.all(
    spec.references.map(async (ref, i) => {
      const at = referenceTile(i, spec.references.length, spec.width, spec.height);
      const input = await sharp(ref).resize(at.width, at.height, { fit: 'cover' }).removeAlpha().toBuffer();
      return { input, left: at.left, top: at.top };
    }),
  );
  const canvas = sharp({ create: { width: spec.width, height: spec.height, channels: 3, background: promptColour(spec.prompt) } }).composite(tiles);
  return spec.format === 'png' ? canvas.png().toBuffer() : canvas.jpeg({ quality: 90 }).toBuffer();
}
