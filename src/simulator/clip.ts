/**
 * The simulator's stand-in for Kling's output: an H.264 MP4 (as Kling returns)
 * that crossfades from the start frame to the end frame over the requested
 * duration, so what a user sees is true to the request. Its size follows the
 * start frame's aspect ratio, so keyframes of different shapes give clips that
 * cannot be stitched without re-encoding, as with the real model.
 */
import sharp from 'sharp';
import { encodeMp4 } from '../media/mp4-encode.js';

export interface ClipOptions {
  durationS: number;
  width?: number;
  fps?: number;
}

const DEFAULT_CLIP_WIDTH = 256;
const DEFAULT_CLIP_FPS = 4;

export async function crossfadeClip(start: Buffer, end: Buffer, o: ClipOptions): Promise<Buffer> {
  const meta = await sharp(start).metadata();
  const width = Math.max(2, Math.round((o.width ?? DEFAULT_CLIP_WIDTH) / 2) * 2);
  const height = Math.max(2, Math.round((width * (meta.height ?? 9)) / (meta.width ?? 16) / 2) * 2);
  const fps = o.fps ?? DEFAULT_CLIP_FPS;
  const count = Math.max(2, Math.round(o.durationS * fps));
  const raw = (b: Buffer) => sharp(b).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const [a, b] = await Promise.all([raw(start), raw(end)]);
  async function* frames(): AsyncGenerator<Uint8Array> {
    const frame = Buffer.alloc(a.length);
    for (let f = 0; f < count; f++) {
      // Encoding is synchronous JS: yield between frames so the simulator keeps answering (and timestamping) other requests.
      await new Promise((resolve) => setImmediate(resolve));
      const t = f / (count - 1);
      for (let i = 0; i < a.length; i++) frame[i] = Math.round(a[i]! * (1 - t) + b[i]! * t);
      yield frame;
    }
  }
  return encodeMp4(frames(), { width, height, fps });
}
