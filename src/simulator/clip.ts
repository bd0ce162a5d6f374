/**
 * The simulator's stand-in for Kling's output: an animated WebP that crossfades
 * from the start frame to the end frame over the requested duration, so what a
 * user sees is true to the request. Lossless, because lossy animated WebP
 * leaves stale regions in later frames.
 */
import sharp from 'sharp';

export interface ClipOptions {
  durationS: number;
  width?: number;
  fps?: number;
}

export async function crossfadeClip(start: Buffer, end: Buffer, o: ClipOptions): Promise<Buffer> {
  const meta = await sharp(start).metadata();
  const width = o.width ?? 480;
  const height = Math.max(2, Math.round((width * (meta.height ?? 9)) / (meta.width ?? 16) / 2) * 2);
  const fps = o.fps ?? 4;
  const frames = Math.max(2, Math.round(o.durationS * fps));
  const raw = (b: Buffer) => sharp(b).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const [a, b] = await Promise.all([raw(start), raw(end)]);
  const stack = Buffer.alloc(a.length * frames);
  for (let f = 0; f < frames; f++) {
    const t = f / (frames - 1);
    const off = f * a.length;
    for (let i = 0; i < a.length; i++) stack[off + i] = Math.round(a[i]! * (1 - t) + b[i]! * t);
  }
  return sharp(stack, { raw: { width, height: height * frames, channels: 3, pageHeight: height } })
    .webp({ loop: 0, delay: Array<number>(frames).fill(Math.round(1000 / fps)), lossless: true })
    .toBuffer();
}
