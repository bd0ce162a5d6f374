/**
 * RGB → Y'CbCr 4:2:0 with BT.601 coefficients in limited ("video") range,
 * what an H.264 decoder assumes when the stream says nothing else. Planes are
 * padded to the coded size by repeating the last row and column, so the
 * cropped-away margin holds no stray colour.
 */
export interface Yuv420 {
  width: number;
  height: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

const clamp = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : Math.round(x));

/** `rgb` is packed 8-bit RGB, `width × height`; the planes are `codedWidth × codedHeight` (chroma half that). */
export function rgbToYuv420(rgb: Uint8Array, width: number, height: number, codedWidth: number, codedHeight: number): Yuv420 {
  if (rgb.length !== width * height * 3) throw new RangeError(`expected ${width}×${height} RGB (${width * height * 3} bytes), got ${rgb.length} bytes`);
  const y = new Uint8Array(codedWidth * codedHeight);
  const cw = codedWidth >> 1;
  const ch = codedHeight >> 1;
  const u = new Uint8Array(cw * ch);
  const v = new Uint8Array(cw * ch);
  const at = (px: number, py: number) => (Math.min(py, height - 1) * width + Math.min(px, width - 1)) * 3;
  for (let py = 0; py < codedHeight; py++) {
    for (let px = 0; px < codedWidth; px++) {
      const i = at(px, py);
      y[py * codedWidth + px] = clamp(16 + (65.481 * rgb[i]! + 128.553 * rgb[i + 1]! + 24.966 * rgb[i + 2]!) / 255);
    }
  }
  for (let cy = 0; cy < ch; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      // Chroma is linear in RGB, so the mean of four pixels' RGB gives the mean of their chroma.
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const i = at(2 * cx + dx, 2 * cy + dy);
        r += rgb[i]!;
        g += rgb[i + 1]!;
        b += rgb[i + 2]!;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      u[cy * cw + cx] = clamp(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      v[cy * cw + cx] = clamp(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  }
  return { width: codedWidth, height: codedHeight, y, u, v };
}
