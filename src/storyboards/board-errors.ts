/** Errors once a board exists: they name the board and every job of it upstream, so nothing paid for is lost from the answer. */
import { KlingError, isKlingError, unexpectedError, withRequestIds } from '../errors.js';
import type { BoardReader } from './show.js';

export async function boardError(ledger: BoardReader, boardId: string, caught: unknown): Promise<unknown> {
  const err = isKlingError(caught) ? caught : unexpectedError(caught);
  if (err.code === 'aborted') return err;
  const named = err.message.includes(boardId)
    ? err
    : new KlingError(err.code, `${err.message}\nStoryboard ${boardId}: get_storyboard with this storyboard_id shows every shot and carries on.`, err.extra);
  return withRequestIds(named, await boardRequestIds(ledger, boardId));
}

/** Every job of the board that exists upstream, earlier takes included: an error must name them all. */
export async function boardRequestIds(ledger: BoardReader, boardId: string): Promise<string[]> {
  return ((await ledger.slice(boardId))?.jobs ?? []).flatMap((j) => (j.outcome_unknown ? [] : [j.request_id]));
}
