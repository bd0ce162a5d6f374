/**
 * A cut's contact sheet: its keyframes in film order, each labelled with the
 * shots it belongs to ("1-2" is where shot 1 ends and shot 2 starts; a cut
 * shows both frames). Thumbnails are kept by digest beside the films, so a
 * re-cut makes its sheet without fetching a frame again.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BoardRecord } from '../ledger/records.js';
import type { BoardsDeps } from './deps.js';
import { keyframeOrder } from './keyframes.js';
import { cutFileName, storyboardUri } from './show.js';

type SheetDeps = Pick<BoardsDeps, 'ledger' | 'clock' | 'log' | 'settings'>;

const thumbDir = (outputDir: string) => path.join(outputDir, '.thumbnails');
const thumbPath = (outputDir: string, sha256: string) => path.join(thumbDir(outputDir), `${sha256}.png`);

/** Makes a keyframe small (a 24-shot board must not hold 48 full images) and keeps it for later cuts' sheets. */
export async function keepThumbnail(outputDir: string, image: Buffer, sha256: string): Promise<void> {
  const { default: sharp, oneAtATime } = await import('../media/sharp.js');
  const small = await oneAtATime(() => sharp(image, { animated: false }).resize(320, 320, { fit: 'inside' }).png().toBuffer());
  await fs.mkdir(thumbDir(outputDir), { recursive: true });
  await fs.writeFile(thumbPath(outputDir, sha256), small);
}

/** Writes the sheet of the board's current cut from kept thumbnails; `frames` are each shot's start and end digests. */
export async function saveSheet(deps: SheetDeps, board: BoardRecord, frames: { start: string; end: string }[]): Promise<void> {
  const { outputDir } = deps.settings;
  const tiles = keyframeOrder(frames, (a, b) => a === b);
  const images = await Promise.all(tiles.map(async (t) => ({ image: await fs.readFile(thumbPath(outputDir, t.key)), label: t.label })));
  const { contactSheet } = await import('../media/contact-sheet.js');
  const sheet = await contactSheet(images, path.join(outputDir, cutFileName(board, 'png')));
  const file = { url: storyboardUri(board.storyboard_id), path: sheet.path, bytes: sheet.bytes, sha256: sheet.sha256, mime: 'image/png' };
  await deps.ledger.record('sheet', board.storyboard_id, { file, cut: board.cut }, deps.clock.now());
}

/** A sheet is a convenience: failing to make one is logged, never an error of the call. */
export function sheetOrWarn(deps: SheetDeps, board: BoardRecord, frames: { start: string; end: string }[]): Promise<void> {
  return saveSheet(deps, board, frames).catch((err: unknown) =>
    deps.log.warn(`storyboard ${board.storyboard_id}: no contact sheet for cut ${board.cut}: ${(err as Error).message}`),
  );
}
