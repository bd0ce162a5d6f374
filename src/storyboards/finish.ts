/** The end of every storyboard call: wait for the cut's shots, save their clips, stitch its film, and show the cut as the ledger has it now. */
import { atCut, type BoardRecord } from '../ledger/records.js';
import type { JobCall } from '../calls/call.js';
import type { ToolReply } from '../calls/respond.js';
import { stitchFilm } from './film.js';
import type { BoardProgress } from './progress.js';
import { settleShots } from './settle.js';
import { standing } from './show.js';
import { boardView, type BoardView } from './view.js';

export async function finishCut(
  call: JobCall,
  board: BoardRecord,
  o: { download: boolean; stitch: boolean; sheet?: Promise<void> },
  progress: BoardProgress,
): Promise<ToolReply<BoardView>> {
  await settleShots(call, board, { download: o.download || o.stitch, progress });
  if (o.stitch) await stitchFilm(call, board, progress);
  await o.sheet;
  // This call's cut: a revision made meanwhile may already be the current one.
  const now = atCut((await call.app.ledger.board(board.storyboard_id)) ?? board, board.cut);
  return boardView(now, await standing(call.app, now), call.app.config.maxWaitS);
}
