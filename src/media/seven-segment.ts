/**
 * Labels drawn as seven-segment shapes: rectangles look the same on every
 * machine (text would need fonts, and some machines have none), and they are
 * painted straight into a sheet's pixels. Digits, "-", "." and space are drawn.
 */
const SEGMENTS: Record<string, string> = {
  '0': 'abcdef',
  '1': 'bc',
  '2': 'abged',
  '3': 'abgcd',
  '4': 'fgbc',
  '5': 'afgcd',
  '6': 'afgedc',
  '7': 'abc',
  '8': 'abcdefg',
  '9': 'abcdfg',
  '-': 'g',
  ' ': '',
  '.': '',
};

const SEVEN_SEGMENT_CHARS = Object.keys(SEGMENTS).join('');

/** Left, top, width, height in pixels. */
export type Rect = [x: number, y: number, width: number, height: number];

/** The rectangles drawing `text` with its top-left at (x, y), digits `height` px tall, and the text's width. */
export function sevenSegment(text: string, x: number, y: number, height: number): { rects: Rect[]; width: number } {
  const t = Math.max(2, Math.round(height / 6)); // stroke thickness
  const w = Math.round(height * 0.6); // glyph width
  const mid = Math.round((height - t) / 2); // top of the middle bar
  const rects: Rect[] = [];
  let cx = x;
  for (const ch of text) {
    const segs = SEGMENTS[ch];
    if (segs === undefined) throw new RangeError(`cannot draw "${ch}" in a label; use only "${SEVEN_SEGMENT_CHARS}"`);
    if (ch === '.') {
      rects.push([cx, y + height - t, t, t]);
      cx += 2 * t;
      continue;
    }
    // Segments overlap at the corners: solid strokes read better at small sizes than the classic gapped look.
    const at: Record<string, Rect> = {
      a: [0, 0, w, t],
      b: [w - t, 0, t, mid + t],
      c: [w - t, mid, t, height - mid],
      d: [0, height - t, w, t],
      e: [0, mid, t, height - mid],
      f: [0, 0, t, mid + t],
      g: [0, mid, w, t],
    };
    // A "1" is only its right-hand bars; drawn narrow so it does not float away from its neighbours.
    const shift = ch === '1' ? w - t : 0;
    for (const s of segs) {
      const [sx, sy, sw, sh] = at[s]!;
      rects.push([cx + sx - shift, y + sy, sw, sh]);
    }
    cx += w - shift + t * 2;
  }
  return { rects, width: Math.max(0, cx - x - t * 2) };
}
