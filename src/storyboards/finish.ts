/** The end of every storyboard call: wait for the cut's shots, save their clips, stitch its film, and show the cut as the ledger has it now. */
import { atCut, type BoardRecord } from '../ledger/records.js';
import type { ToolReply } from '../calls/respond.js';
import type { BoardCall, BoardsDeps } from './deps.js';
import { stitchFilm } from './film.js';
import type { BoardProgress } from './progress.js';
import { settleShots } from './settle.js';
import { processAlive, shotStates } from './shots.js';
import { boardView } from './view.js';
import type { BoardView } from './view-shape.js';

/**
 * What a call that finishes a cut asked for: its clips saved, its film stitched; the cut's sheet being made
 * meanwhile; and the request ids this call submitted (its renders, whose cost the answer names).
 */
export interface FinishArgs {
  download: boolean;
  stitch: boolean;
  sheet?: Promise<void>;
  sent: readonly string[];
}

export async function finishCut(
  deps: BoardsDeps,
  call: BoardCall,
  board: BoardRecord,
  args: FinishArgs,
  progress: BoardProgress,
): Promise<ToolReply<BoardView>> {
  await settleShots(deps, call, board, { download: args.download || args.stitch, progress });
  if (args.stitch) await stitchFilm(deps, board, progress);
  await args.sheet;
  // This call's cut: a revision made meanwhile may already be the current one.
  const slice = await deps.ledger.slice(board.storyboard_id);
  const now = atCut(slice?.board ?? board, board.cut);
  const jobs = slice?.jobs ?? [];
  return boardView(now, shotStates({ board: now, jobs, pending: slice?.pending ?? [] }, processAlive), { jobs, sent: args.sent }, deps.settings.maxWaitS);
}
