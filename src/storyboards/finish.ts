/** The end of every storyboard call: wait for the cut's shots, save their clips, stitch its film, and show the cut as the ledger has it now. */
import { atCut, type BoardRecord } from '../ledger/records.js';
import type { JobCall } from '../calls/call.js';
import type { ToolReply } from '../calls/respond.js';
import { stitchFilm } from './film.js';
import type { BoardProgress } from './progress.js';
import { settleShots } from './settle.js';
import { processAlive, shotStates } from './shots.js';
import { boardView, type BoardView } from './view.js';

export async function finishCut(
  call: JobCall,
  board: BoardRecord,
  o: { download: boolean; stitch: boolean; sheet?: Promise<void>; sent: readonly string[] },
  progress: BoardProgress,
): Promise<ToolReply<BoardView>> {
  await settleShots(call, board, { download: o.download || o.stitch, progress });
  if (o.stitch) await stitchFilm(call, board, progress);
  await o.sheet;
  // This call's cut: a revision made meanwhile may already be the current one.
  const slice = await call.app.ledger.slice(board.storyboard_id);
  const now = atCut(slice?.board ?? board, board.cut);
  const jobs = slice?.jobs ?? [];
  return boardView(now, shotStates({ board: now, jobs, pending: slice?.pending ?? [] }, processAlive), { jobs, sent: o.sent }, call.app.config.maxWaitS);
}
