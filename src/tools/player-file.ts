/**
 * The player's one way to files: a saved clip, film or contact sheet, or a
 * keyframe thumbnail cut from a board's sheet, named by request_id /
 * storyboard_id / keyframe_id and kind, never by a path. Only what the ledger records as this
 * server's saved outputs is served; the bytes come in base64 chunks the page
 * joins into a Blob. App-only: hidden from the model (tools/define.ts).
 */
import { open } from 'node:fs/promises';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { KlingError } from '../errors.js';
import { madeAsset } from '../jobs/assets.js';
import type { BoardRecord, SavedFile } from '../ledger/records.js';
import { KEYFRAME_ID } from '../preflight/image-source.js';
import { keyframeOrder } from '../storyboards/keyframes.js';
import { loadBoard, storyboardIdSchema } from '../storyboards/show.js';
import { formatBytes } from '../util/format.js';
import { requestIdSchema } from './args.js';
import { defineTool } from './define.js';

/** Raw bytes per chunk: their base64 is exactly 2 MiB, well under the stdio transport's 10 MiB a message. */
export const CHUNK_BYTES = 1_572_864;
const THUMB_WIDTH = 240;

const KINDS = ['clip', 'film', 'sheet', 'keyframe', 'image'] as const;

export const playerFile = defineTool({
  name: 'player_file',
  title: 'Read a saved video for the player',
  description:
    "Used by the player page, not by the model: returns a chunk of a file this server saved (a job's clip; a storyboard's film, " +
    'contact sheet, or one keyframe thumbnail cut from the sheet; or a generated keyframe) as base64.',
  input: {
    kind: z.enum(KINDS, { error: `kind must be one of ${KINDS.join(', ')}.` }),
    request_id: requestIdSchema.optional().describe('The job whose clip to read (kind "clip").'),
    storyboard_id: storyboardIdSchema.optional().describe('The storyboard whose film, sheet or keyframe to read.'),
    keyframe_id: z
      .string({ error: 'keyframe_id must be a string.' })
      .regex(KEYFRAME_ID, { error: 'keyframe_id must be a kf-… id.' })
      .optional()
      .describe('The generated keyframe whose saved image to read (kind "image").'),
    index: z
      .number({ error: 'index must be a number.' })
      .int({ error: 'index must be a whole number.' })
      .min(0, { error: 'index cannot be negative.' })
      .default(0)
      .describe('Which keyframe (0 = the first), for kind "keyframe".'),
    offset: z
      .number({ error: 'offset must be a number of bytes.' })
      .int({ error: 'offset must be a whole number of bytes.' })
      .min(0, { error: 'offset cannot be negative.' })
      .default(0)
      .describe('Where the chunk starts, in bytes (the previous answer gives next_offset).'),
  },
  output: {
    mime: z.string(),
    total_bytes: z.number(),
    offset: z.number(),
    data: z.string().describe('base64 of at most 1.5 MiB of the file (2 MiB of text)'),
    next_offset: z.number().optional().describe('absent once this chunk ends the file'),
    label: z.string().optional().describe('a keyframe: the shots it belongs to, as on the sheet ("1-2")'),
    keyframes: z.number().optional().describe('a keyframe: how many the board has'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  ui: 'app-only',
  async handle(args, call) {
    const { kind } = args;
    if (kind === 'keyframe') {
      const board = await loadBoard(call.app.ledger, need(args.storyboard_id, 'storyboard_id', kind));
      const { image, label, count } = await keyframe(board, args.index);
      return reply({ mime: 'image/webp', total_bytes: image.length, offset: 0, data: image.toString('base64'), label, keyframes: count });
    }
    const file = await savedFile(call.app, { ...args, kind });
    const { data, total } = await readChunk(file, args.offset);
    const end = args.offset + data.length;
    return reply({ mime: file.mime, total_bytes: total, offset: args.offset, data: data.toString('base64'), ...(end < total && { next_offset: end }) });
  },
});

function reply<S extends { mime: string; total_bytes: number }>(structured: S) {
  return { structured, text: `${structured.mime}, ${formatBytes(structured.total_bytes)}` };
}

function need(value: string | undefined, name: string, kind: string): string {
  if (value === undefined) throw new KlingError('invalid_input', `kind "${kind}" needs ${name}.`);
  return value;
}

/** The ledger's record of the file asked for; anything it does not record as saved is refused. */
async function savedFile(
  app: AppContext,
  args: { kind: 'clip' | 'film' | 'sheet' | 'image'; request_id?: string; storyboard_id?: string; keyframe_id?: string },
): Promise<SavedFile> {
  if (args.kind === 'image') {
    const id = need(args.keyframe_id, 'keyframe_id', args.kind);
    return (await madeAsset(app.ledger, 'keyframe', id, 'keyframe_id')).file;
  }
  if (args.kind === 'clip') {
    const id = need(args.request_id, 'request_id', args.kind);
    const job = await app.ledger.job(id);
    if (!job) throw new KlingError('not_found', `No job ${id} is recorded in this server's ledger.`);
    const clip = job.files.find((f) => f.mime.startsWith('video/'));
    if (!clip) throw new KlingError('not_found', `Job ${id} has no saved clip: get_result saves it once the job is completed.`);
    return clip;
  }
  const board = await loadBoard(app.ledger, need(args.storyboard_id, 'storyboard_id', args.kind));
  const file = args.kind === 'film' ? board.film : board.sheet;
  if (!file) throw new KlingError('not_found', `Storyboard ${board.storyboard_id} has no saved ${args.kind === 'film' ? 'film' : 'contact sheet'} yet.`);
  return file;
}

/** Reads from a recorded file, if it is still the regular file of the recorded size the ledger names. */
async function readRecorded(file: SavedFile, offset: number, length: (size: number) => number): Promise<{ data: Buffer; total: number }> {
  const gone = () => new KlingError('not_found', `The saved file ${file.path} is gone or was changed since it was saved.`);
  const handle = await open(file.path, 'r').catch(() => {
    throw gone();
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size !== file.bytes) throw gone();
    if (offset > stat.size) throw new KlingError('invalid_input', `offset ${offset} is past the end of the file (${stat.size} bytes).`);
    const data = Buffer.alloc(Math.min(length(stat.size), stat.size - offset));
    const { bytesRead } = await handle.read(data, 0, data.length, offset);
    return { data: data.subarray(0, bytesRead), total: stat.size };
  } finally {
    await handle.close();
  }
}

const readChunk = (file: SavedFile, offset: number) => readRecorded(file, offset, () => CHUNK_BYTES);

/** Keyframe i of a board: cut from its saved contact sheet and made small (a few KB). */
async function keyframe(board: BoardRecord, i: number): Promise<{ image: Buffer; label: string; count: number }> {
  if (!board.sheet) throw new KlingError('not_found', `Storyboard ${board.storyboard_id} has no saved contact sheet, so no keyframes to show.`);
  const shots = board.shots.map((s) => ({
    start: s.image_sha256?.start_image_url ?? s.start_image_url,
    end: s.image_sha256?.end_image_url ?? s.end_image_url,
  }));
  const frames = keyframeOrder(shots, (a, b) => a === b);
  const frame = frames[i];
  if (!frame) throw new KlingError('not_found', `Storyboard ${board.storyboard_id} has ${frames.length} keyframes (index 0 to ${frames.length - 1}).`);
  const { data } = await readRecorded(board.sheet, 0, (size) => size);
  const { sheetThumbnail } = await import('../media/contact-sheet.js');
  return { image: await sheetThumbnail(data, frames.length, i, THUMB_WIDTH), label: frame.label, count: frames.length };
}
