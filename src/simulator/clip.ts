/**
 * The simulator's stand-in for a model's output: an H.264 MP4 (as Kling
 * returns) that fades through the model's frames over the requested duration
 * (start frame to end frame; one frame gives a still), so what a user sees is
 * true to the request. Its size follows the model's aspect ratio, or the first
 * frame's, so keyframes of different shapes give clips that cannot be stitched
 * without re-encoding, as with the real model. A clip with sound carries an
 * AAC-LC track (48 kHz stereo) as long as its picture.
 */
import sharp from 'sharp';
import { aacTrack } from '../media/aac.js';
import { encodeMp4 } from '../media/mp4-encode.js';

export interface ClipOptions {
  durationS: number;
  width?: number;
  /** Times the width (a 4K engine's larger clips). */
  scale?: number;
  /** Width/height of the clip (default: the first frame's). */
  aspect?: number;
  fps?: number;
  /** Give the clip sound: a tune drawn from this string. */
  soundSeed?: string;
}

const DEFAULT_CLIP_WIDTH = 256;
const DEFAULT_CLIP_FPS = 4;

export async function fadeClip(images: Buffer[], clip: ClipOptions): Promise<Buffer> {
  if (images.length === 0) throw new Error('a clip needs at least one frame');
  const meta = await sharp(images[0]).metadata();
  const width = Math.max(2, Math.round(((clip.width ?? DEFAULT_CLIP_WIDTH) * (clip.scale ?? 1)) / 2) * 2);
  const exact = clip.aspect === undefined ? (width * (meta.height ?? 9)) / (meta.width ?? 16) : width / clip.aspect;
  const height = Math.max(2, Math.round(exact / 2) * 2);
  const fps = clip.fps ?? DEFAULT_CLIP_FPS;
  const count = Math.max(2, Math.round(clip.durationS * fps));
  const raw = await Promise.all(images.map((b) => sharp(b).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer()));
  // One frame is a still: its own start and end.
  const keys = raw.length === 1 ? [raw[0]!, raw[0]!] : raw;
  async function* frames(): AsyncGenerator<Uint8Array> {
    const frame = Buffer.alloc(keys[0]!.length);
    for (let f = 0; f < count; f++) {
      // Encoding is synchronous JS: yield between frames so the simulator keeps answering (and timestamping) other requests.
      await new Promise((resolve) => setImmediate(resolve));
      // Where this frame sits between two keyframes: 0 → 1 across the whole clip, one stretch per pair.
      const at = (f / (count - 1)) * (keys.length - 1);
      const k = Math.min(Math.floor(at), keys.length - 2);
      const [a, b, t] = [keys[k]!, keys[k + 1]!, at - k];
      for (let i = 0; i < a.length; i++) frame[i] = Math.round(a[i]! * (1 - t) + b[i]! * t);
      yield frame;
    }
  }
  const audio = clip.soundSeed === undefined ? undefined : aacTrack({ seconds: count / fps, seed: clip.soundSeed });
  return encodeMp4(frames(), { width, height, fps, ...(audio && { audio }) });
}
