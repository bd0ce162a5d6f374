/** A storyboard as the ledger has it now, ready to answer with; and the id argument that names one. */
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { KlingError } from '../errors.js';
import { typeError } from '../models/fields.js';
import type { BoardRecord } from '../jobs/records.js';
import type { ToolReply } from '../calls/respond.js';
import { processAlive, shotStates } from './shots.js';
import { boardView, type BoardView } from './view.js';

/** Where a board is served as a resource (and what its film and sheet say they came from). */
export const STORYBOARDS_URI = 'kling://storyboards';
export const storyboardUri = (id: string) => `${STORYBOARDS_URI}/${id}`;

export const STORYBOARD_ID_PATTERN = /^sb-[a-z0-9]{6,40}$/;

export const storyboardIdSchema = z
  .string({ error: typeError('storyboard_id', 'a string: the id generate_storyboard returned') })
  .trim()
  .regex(STORYBOARD_ID_PATTERN, { error: 'storyboard_id must be the id generate_storyboard returned, like "sb-mf3k2a9c1f2e3d".' })
  .describe('The storyboard_id that generate_storyboard returned (list_jobs shows it beside each shot).');

export async function loadBoard(app: AppContext, id: string): Promise<BoardRecord> {
  const board = await app.ledger.board(id);
  if (!board) {
    throw new KlingError(
      'storyboard_not_found',
      `No storyboard ${id} is recorded in this server's ledger (KLING_MCP_STATE_DIR). The resource kling://storyboards lists the known boards, and list_jobs shows each job's storyboard_id.`,
    );
  }
  return board;
}

export async function showBoard(app: AppContext, id: string): Promise<ToolReply<BoardView>> {
  const board = await loadBoard(app, id);
  return boardView(board, shotStates(board, app.ledger.state(), processAlive), app.config.maxWaitS);
}
