/**
 * Cancelling a board: it is closed first, so no call (in any process) submits
 * another shot of it, then every shot of its current cut still queued is
 * cancelled; the others are reported as they stand. Takes of earlier cuts that
 * this cut does not use keep running: they are paid for, and may be reused.
 */
import { z } from 'zod';
import { isKlingError } from '../errors.js';
import type { ToolReply } from '../calls/respond.js';
import type { BoardsDeps } from './deps.js';
import { processAlive, shotStates } from './shots.js';
import { loadBoard } from './show.js';

export const shotOutcomeSchema = z.object({
  index: z.number(),
  request_id: z.string().optional(),
  status: z.string().describe("the shot's state after the attempt"),
  cancelled: z.boolean(),
});
type ShotOutcome = z.output<typeof shotOutcomeSchema>;

export interface BoardCancelled {
  /** Every shot of the current cut is now cancelled, never to be submitted, or completed. */
  cancelled: boolean;
  storyboard: { storyboard_id: string; shots: ShotOutcome[] };
}

export async function cancelBoard(
  deps: Pick<BoardsDeps, 'ledger' | 'jobs' | 'clock' | 'log'>,
  boardId: string,
  signal: AbortSignal,
): Promise<ToolReply<BoardCancelled>> {
  const { ledger } = deps;
  const board = await loadBoard(ledger, boardId);
  if (!board.closed) await ledger.record('storyboard_closed', boardId, { reason: 'cancelled by the user' }, deps.clock.now());
  const shots = shotStates((await ledger.slice(boardId))!, processAlive);
  const outcomes = await Promise.all(
    shots.map(async (s): Promise<ShotOutcome> => {
      const id = s.job && !s.job.outcome_unknown ? s.job.request_id : undefined;
      if (!id) return { index: s.index, status: s.phase, cancelled: s.phase === 'not_submitted' };
      if (s.phase !== 'queued') return { index: s.index, request_id: id, status: s.job?.status ?? s.phase, cancelled: s.phase === 'cancelled' };
      // One shot RunComfy cannot be asked about must not hide what happened to the others.
      try {
        const { snap } = await deps.jobs.cancel(id, signal);
        return { index: s.index, request_id: id, status: snap.status, cancelled: snap.phase === 'cancelled' };
      } catch (err) {
        if (isKlingError(err, 'aborted')) throw err;
        deps.log.warn(`cancelling shot ${s.index} (${id}) of storyboard ${boardId} failed: ${(err as Error).message}`);
        return { index: s.index, request_id: id, status: s.job?.status ?? 'submitted', cancelled: false };
      }
    }),
  );
  const lines = outcomes.map((shot) => `- shot ${shot.index}${shot.request_id ? ` (${shot.request_id})` : ''}: ${outcomeText(shot)}`);
  const all = outcomes.every((shot) => shot.cancelled || shot.status === 'completed');
  const text = `Storyboard ${boardId} is stopped: no further shots will be submitted.\n${lines.join('\n')}\nget_storyboard shows the board; shots that finish are still saved.`;
  return { structured: { cancelled: all, storyboard: { storyboard_id: boardId, shots: outcomes } }, text };
}

function outcomeText(shot: ShotOutcome): string {
  if (shot.status === 'not_submitted') return 'never submitted; it will not be';
  if (shot.cancelled) return 'cancelled (not billed)';
  if (shot.status === 'in_progress') return 'already rendering: RunComfy cannot cancel it, it will finish and be billed';
  if (shot.status === 'outcome_unknown') return 'its submission got no answer: check your RunComfy dashboard';
  return `${shot.status}: nothing to cancel`;
}
