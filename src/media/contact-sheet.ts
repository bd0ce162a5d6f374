/**
 * A contact sheet: a board's keyframes in order as thumbnails in a grid that
 * wraps, each with its label (shot numbers) drawn beneath it, saved as PNG, so
 * a person sees the board at a glance.
 */
import sharp, { oneAtATime } from './sharp.js';
import { KlingError } from '../errors.js';
import { writeFileAtomically, type WrittenFile } from './atomic-file.js';
import { sevenSegment, type Rect } from './seven-segment.js';

export interface SheetFrame {
  /** Any image sharp reads (PNG, JPEG, WebP, ...). */
  image: Buffer;
  /** Drawn under the thumbnail; digits, "-", "." and spaces. */
  label: string;
}

export interface ContactSheetOptions {
  /** Thumbnails per row (default: up to 4). */
  columns?: number;
  /** Thumbnail width in pixels (default 320); the height follows the first frame's aspect ratio. */
  thumbWidth?: number;
}

export interface ContactSheet extends WrittenFile {
  width: number;
  height: number;
}

const GAP = 16;
const LABEL_HEIGHT = 32;
const BACKGROUND = [0x1c, 0x1c, 0x1e] as const;
const INK = [0xf2, 0xf2, 0xf2] as const;
const DEFAULT_COLUMNS = 4;

/** Where thumbnail i sits on a sheet (its label is drawn below it). */
function tileAt(i: number, columns: number, thumbW: number, thumbH: number): { left: number; top: number } {
  return { left: GAP + (i % columns) * (thumbW + GAP), top: GAP + Math.floor(i / columns) * (thumbH + GAP / 2 + LABEL_HEIGHT + GAP) };
}

/**
 * Thumbnail i of a sheet of `count` frames made with the default columns, found
 * from the sheet's size alone: so a saved sheet can be cut back into its keyframes.
 */
export function sheetTile(count: number, sheetWidth: number, sheetHeight: number, i: number): { left: number; top: number; width: number; height: number } {
  const columns = Math.min(count, DEFAULT_COLUMNS);
  const rows = Math.ceil(count / columns);
  const width = Math.round((sheetWidth - GAP) / columns - GAP);
  const height = Math.round((sheetHeight - GAP) / rows - GAP / 2 - LABEL_HEIGHT - GAP);
  return { ...tileAt(i, columns, width, height), width, height };
}

/**
 * The sheet is painted into one RGB buffer (about 6 MB for 24 keyframes), one thumbnail at a time, and encoded
 * once: compositing two dozen layers and an SVG of labels in libvips cost five times that in native memory.
 */
export async function contactSheet(frames: SheetFrame[], outPath: string, layout: ContactSheetOptions = {}): Promise<ContactSheet> {
  if (frames.length === 0) throw new RangeError('a contact sheet needs at least one frame');
  const thumbW = layout.thumbWidth ?? 320;
  const columns = Math.min(frames.length, layout.columns ?? DEFAULT_COLUMNS);
  const rows = Math.ceil(frames.length / columns);
  const first = await oneAtATime(() => sharp(frames[0]!.image).metadata()).catch((err: unknown) => unreadable(0, err));
  const thumbH = Math.max(1, Math.round((thumbW * (first.pageHeight ?? first.height ?? 9)) / (first.width ?? 16)));
  const cellH = thumbH + GAP / 2 + LABEL_HEIGHT + GAP;
  const width = GAP + columns * (thumbW + GAP);
  const height = GAP + rows * cellH;

  const canvas = new Canvas(width, height, BACKGROUND);
  for (const [i, frame] of frames.entries()) {
    const { left, top } = tileAt(i, columns, thumbW, thumbH);
    const tile = await oneAtATime(() =>
      sharp(frame.image)
        .resize(thumbW, thumbH, { fit: 'contain', background: '#000' })
        .removeAlpha()
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true }),
    ).catch((err: unknown) => unreadable(i, err));
    canvas.paste(tile.data, tile.info.width, tile.info.height, left, top);
    const label = (h: number) => sevenSegment(frame.label, left, top + thumbH + GAP / 2, h);
    const full = label(LABEL_HEIGHT);
    // A long label shrinks to its thumbnail's width rather than running into the next one.
    const drawn = full.width <= thumbW ? full : label(Math.floor((LABEL_HEIGHT * thumbW) / full.width));
    for (const rect of drawn.rects) canvas.fill(rect, INK);
  }
  const written = await writeFileAtomically(outPath, async (temp) => {
    await oneAtATime(() =>
      sharp(canvas.pixels, { raw: { width, height, channels: 3 } })
        .png()
        .toFile(temp),
    );
  });
  return { path: written.path, bytes: written.bytes, sha256: written.sha256, width, height };
}

type Rgb = readonly [number, number, number];

/** An RGB image in memory, 3 bytes a pixel, rows top to bottom. */
class Canvas {
  readonly pixels: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.pixels = Buffer.alloc(width * height * 3, Buffer.from(background));
  }

  /** Copies an RGB image of w×h pixels with its top-left at (x, y); what falls outside is cut off. */
  paste(rgb: Buffer, w: number, h: number, x: number, y: number): void {
    const cols = Math.min(w, this.width - x);
    for (let row = 0; row < Math.min(h, this.height - y); row++) {
      rgb.copy(this.pixels, ((y + row) * this.width + x) * 3, row * w * 3, (row * w + cols) * 3);
    }
  }

  fill([x, y, w, h]: Rect, [r, g, b]: Rgb): void {
    const x1 = Math.min(x + w, this.width);
    for (let row = Math.max(0, y); row < Math.min(y + h, this.height); row++) {
      for (let col = Math.max(0, x); col < x1; col++) {
        const at = (row * this.width + col) * 3;
        this.pixels[at] = r;
        this.pixels[at + 1] = g;
        this.pixels[at + 2] = b;
      }
    }
  }
}

/** Tile i of a saved sheet of `count` keyframes, cut out and made `width` px wide, as WebP (a few KB). */
export function sheetThumbnail(sheet: Buffer, count: number, i: number, width: number): Promise<Buffer> {
  return oneAtATime(async () => {
    const meta = await sharp(sheet).metadata();
    return sharp(sheet)
      .extract(sheetTile(count, meta.width, meta.height, i))
      .resize(width)
      .webp({ quality: 70 })
      .toBuffer();
  });
}

function unreadable(index: number, err: unknown): never {
  throw new KlingError('media_unreadable', `Keyframe ${index} cannot be read as an image: ${(err as Error).message}.`, { cause: err });
}
