/** Two keyframes drawn without fonts or network: a sun low over the sea, then high in a clear sky. */
import sharp from 'sharp';

function scene(sunY: number, sky: string, sea: string, sun: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720">
  <rect width="1280" height="720" fill="${sky}"/>
  <circle cx="640" cy="${sunY}" r="90" fill="${sun}"/>
  <rect y="470" width="1280" height="250" fill="${sea}"/>
  <rect x="300" y="520" width="680" height="14" rx="7" fill="#ffffff" opacity="0.35"/>
</svg>`);
}

export async function demoKeyframes(): Promise<{ start: Buffer; end: Buffer }> {
  const [start, end] = await Promise.all([
    sharp(scene(470, '#f3a26b', '#3a4f7a', '#ffdd66')).png().toBuffer(),
    sharp(scene(150, '#7ec8f0', '#1f6fb2', '#fff4b0')).png().toBuffer(),
  ]);
  return { start: start!, end: end! };
}
