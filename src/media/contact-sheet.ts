/**
 * A contact sheet: a board's keyframes in order as thumbnails in a grid that
 * wraps, each with its label (shot numbers) drawn beneath it, saved as PNG, so
 * a person sees the board at a glance.
 */
import sharp from 'sharp';
import { KlingError } from '../errors.js';
import { writeFileAtomically, type WrittenFile } from './atomic-file.js';
import { sevenSegment } from './seven-segment.js';

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
const BACKGROUND = '#1c1c1e';
const INK = '#f2f2f2';
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

export async function contactSheet(frames: SheetFrame[], outPath: string, o: ContactSheetOptions = {}): Promise<ContactSheet> {
  if (frames.length === 0) throw new RangeError('a contact sheet needs at least one frame');
  const thumbW = o.thumbWidth ?? 320;
  const columns = Math.min(frames.length, o.columns ?? DEFAULT_COLUMNS);
  const rows = Math.ceil(frames.length / columns);
  const first = await sharp(frames[0]!.image)
    .metadata()
    .catch((err: unknown) => unreadable(0, err));
  const thumbH = Math.max(1, Math.round((thumbW * (first.pageHeight ?? first.height ?? 9)) / (first.width ?? 16)));
  const cellH = thumbH + GAP / 2 + LABEL_HEIGHT + GAP;
  const width = GAP + columns * (thumbW + GAP);
  const height = GAP + rows * cellH;

  const thumbs = await Promise.all(
    frames.map((f, i) =>
      sharp(f.image)
        .resize(thumbW, thumbH, { fit: 'contain', background: '#000' })
        .removeAlpha()
        .png()
        .toBuffer()
        .catch((err: unknown) => unreadable(i, err)),
    ),
  );
  const labels: string[] = [];
  const layers: sharp.OverlayOptions[] = thumbs.map((input, i) => {
    const { left, top } = tileAt(i, columns, thumbW, thumbH);
    const label = (h: number) => sevenSegment(frames[i]!.label, left, top + thumbH + GAP / 2, h, INK);
    const full = label(LABEL_HEIGHT);
    // A long label shrinks to its thumbnail's width rather than running into the next one.
    labels.push(full.width <= thumbW ? full.svg : label(Math.floor((LABEL_HEIGHT * thumbW) / full.width)).svg);
    return { input, left, top };
  });
  layers.push({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${labels.join('')}</svg>`), left: 0, top: 0 });
  const written = await writeFileAtomically(outPath, async (temp) => {
    await sharp({ create: { width, height, channels: 3, background: BACKGROUND } })
      .composite(layers)
      .png()
      .toFile(temp);
  });
  return { path: written.path, bytes: written.bytes, sha256: written.sha256, width, height };
}

function unreadable(index: number, err: unknown): never {
  throw new KlingError('media_unreadable', `Keyframe ${index} cannot be read as an image: ${(err as Error).message}.`, { cause: err });
}
