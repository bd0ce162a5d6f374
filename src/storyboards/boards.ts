/**
 * The storyboard service: what the storyboard tools do, built once in the
 * context (context.ts) from explicit dependencies (deps.ts), as `Jobs` is.
 * Each operation takes one call's value (its signal, deadline, progress and
 * consent) and answers with the board as the ledger has it now; an error once
 * a board exists names it and every job of it. The steps are their own
 * modules: plan, revise, submit, settle, film, sheet, cancel.
 */
import type { ToolReply } from '../calls/respond.js';
import type { BoardRecord } from '../ledger/records.js';
import { boardError } from './board-errors.js';
import { cancelBoard, type BoardCancelled } from './cancel.js';
import type { BoardCall, BoardsDeps } from './deps.js';
import { finishCut, type FinishArgs } from './finish.js';
import { planBoard, type BoardArgs } from './plan.js';
import { BoardProgress } from './progress.js';
import { reviseBoard, type ReviseArgs } from './revise.js';
import { loadBoard } from './show.js';
import { submitShots, type Resubmit } from './submit.js';
import type { BoardView } from './view-shape.js';

/** What a call that makes or moves a film keeps: the clips saved, and the film stitched once every shot is done. */
type SaveArgs = Pick<FinishArgs, 'download' | 'stitch'>;

export class Boards {
  constructor(private readonly deps: BoardsDeps) {}

  /** A new board: every frame checked, the whole board approved and reserved, its shots submitted; then as `finish`. */
  async generate(args: BoardArgs & SaveArgs, call: BoardCall): Promise<ToolReply<BoardView>> {
    const progress = new BoardProgress(call.progress, args.shots.length);
    const { board, sent } = await this.plan(args, call, progress);
    return this.finish(board, { ...args, sent }, call, progress);
  }

  /** A new cut of a board: its renders checked, approved and reserved with the cut, then submitted; then as `finish`. */
  async revise(args: ReviseArgs & SaveArgs, call: BoardCall): Promise<ToolReply<BoardView>> {
    const progress = new BoardProgress(call.progress, args.shots.length);
    const { board, sheet, sent } = await this.cut(args, call, progress);
    return this.finish(board, { ...args, sheet, sent }, call, progress);
  }

  /** A board moved on: shots never submitted (and, when asked, failed or unknown ones, approved again) submitted; then as `finish`. */
  async resume(args: { storyboard_id: string; resubmit: Resubmit } & SaveArgs, call: BoardCall): Promise<ToolReply<BoardView>> {
    const board = await loadBoard(this.deps.ledger, args.storyboard_id);
    const progress = new BoardProgress(call.progress, board.shots.length);
    const sent = await this.named(board, () => submitShots(this.deps, call, board, { resubmit: args.resubmit, progress }));
    return this.finish(board, { ...args, sent }, call, progress);
  }

  /** Stops a board: no further shots are submitted, and its current cut's queued shots are cancelled. */
  cancel(boardId: string, signal: AbortSignal): Promise<ToolReply<BoardCancelled>> {
    return cancelBoard(this.deps, boardId, signal);
  }

  // plan and cut return the request ids they sent, without the checked frames (inline bytes included): those are let go once sent.

  private async plan(args: BoardArgs, call: BoardCall, progress: BoardProgress): Promise<{ board: BoardRecord; sent: string[] }> {
    const { board, checked } = await planBoard(this.deps, call, args, progress);
    const sent = await this.named(board, () => submitShots(this.deps, call, board, { resubmit: NOTHING_AGAIN, checked, progress }));
    return { board, sent };
  }

  private async cut(args: ReviseArgs, call: BoardCall, progress: BoardProgress): Promise<{ board: BoardRecord; sheet: Promise<void>; sent: string[] }> {
    const { board, checked, sheet } = await reviseBoard(this.deps, call, args, progress);
    const sent = await this.named(board, () => submitShots(this.deps, call, board, { resubmit: NOTHING_AGAIN, checked, progress }));
    return { board, sheet, sent };
  }

  /** Waits for the cut's shots within the call's time, saves their clips, stitches its film, and shows the cut. */
  private finish(board: BoardRecord, args: FinishArgs, call: BoardCall, progress: BoardProgress): Promise<ToolReply<BoardView>> {
    return this.named(board, () => finishCut(this.deps, call, board, args, progress));
  }

  /** A step once the board exists: its error names the board and every job of it. */
  private async named<T>(board: BoardRecord, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      throw await boardError(this.deps.ledger, board.storyboard_id, err);
    }
  }
}

const NOTHING_AGAIN: Resubmit = { failed: false, unknown: false };
