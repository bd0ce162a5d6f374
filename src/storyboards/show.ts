/** A storyboard as the ledger has it now, ready to answer with; and the id argument that names one. */
import { z } from 'zod';
import { KlingError } from '../errors.js';
import { typeError } from '../models/fields.js';
import type { BoardRecord, BoardSlice } from '../ledger/records.js';
import type { LedgerStore } from '../ledger/store.js';
import { processAlive, shotStates, type ShotState } from './shots.js';

/** Where a board is served as a resource (and what its film and sheet say they came from). */
export const STORYBOARDS_URI = 'kling://storyboards';
export const storyboardUri = (id: string) => `${STORYBOARDS_URI}/${id}`;

export const STORYBOARD_ID_PATTERN = /^sb-[a-z0-9]{6,40}$/;

export const storyboardIdSchema = z
  .string({ error: typeError('storyboard_id', 'a string: the id generate_storyboard returned') })
  .trim()
  .regex(STORYBOARD_ID_PATTERN, { error: 'storyboard_id must be the id generate_storyboard returned, like "sb-mf3k2a9c1f2e3d".' })
  .describe('The storyboard_id that generate_storyboard returned (list_jobs shows it beside each shot).');

/** What reading a board needs of the ledger. */
export type BoardReader = Pick<LedgerStore, 'slice'>;

export async function loadBoard(ledger: BoardReader, id: string): Promise<BoardRecord> {
  return (await loadSlice(ledger, id)).board;
}

/** The board with its jobs and submissions in flight, or a clear error. */
export async function loadSlice(ledger: BoardReader, id: string): Promise<BoardSlice> {
  const slice = await ledger.slice(id);
  if (!slice) {
    throw new KlingError(
      'storyboard_not_found',
      `No storyboard ${id} is recorded in this server's ledger (KLING_MCP_STATE_DIR). The resource kling://storyboards lists the known boards, and list_jobs shows each job's storyboard_id.`,
    );
  }
  return slice;
}

/** Where each shot of `board` (as of the cut it shows) stands, from the board's slice of the ledger as it is now. */
export async function standing(ledger: BoardReader, board: BoardRecord): Promise<ShotState[]> {
  const slice = await ledger.slice(board.storyboard_id);
  return shotStates({ board, jobs: slice?.jobs ?? [], pending: slice?.pending ?? [] }, processAlive);
}

/** A cut's film and contact sheet: cut 1 keeps the names boards had before revisions; later cuts get their own, never overwritten. */
export function cutFileName(board: { storyboard_id: string; cut: number }, ext: 'mp4' | 'png'): string {
  return board.cut === 1 ? `${board.storyboard_id}.${ext}` : `${board.storyboard_id}-cut${board.cut}.${ext}`;
}
