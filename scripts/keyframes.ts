/** Keyframes drawn without fonts or network: a sun low over the sea, rising into a clear sky. */
import sharp from 'sharp';

function scene(sunY: number, sky: string, sea: string, sun: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720">
  <rect width="1280" height="720" fill="${sky}"/>
  <circle cx="640" cy="${sunY}" r="90" fill="${sun}"/>
  <rect y="470" width="1280" height="250" fill="${sea}"/>
  <rect x="300" y="520" width="680" height="14" rx="7" fill="#ffffff" opacity="0.35"/>
</svg>`);
}

const DAWN = { sunY: 470, sky: [0xf3, 0xa2, 0x6b], sea: [0x3a, 0x4f, 0x7a], sun: [0xff, 0xdd, 0x66] };
const NOON = { sunY: 150, sky: [0x7e, 0xc8, 0xf0], sea: [0x1f, 0x6f, 0xb2], sun: [0xff, 0xf4, 0xb0] };

const mix = (a: number[], b: number[], t: number) =>
  `#${a
    .map((v, i) =>
      Math.round(v + (b[i]! - v) * t)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;

/** `count` keyframes from dawn (first) to noon (last), evenly spaced: keyframe i is where shot i ends and shot i+1 starts. */
export function sunriseKeyframes(count: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const t = count === 1 ? 0 : i / (count - 1);
      const sunY = Math.round(DAWN.sunY + (NOON.sunY - DAWN.sunY) * t);
      return sharp(scene(sunY, mix(DAWN.sky, NOON.sky, t), mix(DAWN.sea, NOON.sea, t), mix(DAWN.sun, NOON.sun, t)))
        .png()
        .toBuffer();
    }),
  );
}

export async function demoKeyframes(): Promise<{ start: Buffer; end: Buffer }> {
  const [start, end] = await sunriseKeyframes(2);
  return { start: start!, end: end! };
}
