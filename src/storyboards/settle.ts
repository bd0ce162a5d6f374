/**
 * Waiting (on the call's deadline) for every unfinished shot of the current
 * cut at once, then saving the clips of the completed ones. One shot's trouble
 * (an expired id, a failed download) is logged and left for the next call; it
 * never fails the others.
 */
import { isKlingError } from '../errors.js';
import type { BoardRecord } from '../ledger/records.js';
import { MIN_SAVE_MS } from '../util/deadline.js';
import { Semaphore } from '../util/semaphore.js';
import type { BoardCall, BoardsDeps } from './deps.js';
import type { BoardProgress } from './progress.js';
import type { ShotState } from './shots.js';
import { standing } from './show.js';

/** Saving clips of several shots at once, but not all 24: bounded disk and socket use. */
const saving = new Semaphore(4);

export async function settleShots(
  deps: Pick<BoardsDeps, 'ledger' | 'jobs' | 'clock' | 'log'>,
  call: Pick<BoardCall, 'signal' | 'deadline'>,
  board: BoardRecord,
  options: { download: boolean; progress: BoardProgress },
): Promise<void> {
  const { jobs, clock } = deps;
  const shots = await standing(deps.ledger, board);
  const running = shots.filter((s) => s.job && (s.phase === 'queued' || s.phase === 'running'));
  for (const s of shots) if (s.phase === 'completed' || s.phase === 'failed' || s.phase === 'cancelled') options.progress.shotDone(s.index);
  // A take shown by two shots of the cut is waited for once.
  const waitFor = [...new Map(running.map((s) => [s.job!.request_id, s])).values()];
  if (waitFor.length > 0 && call.deadline.canWait()) {
    const waits = await Promise.allSettled(
      waitFor.map((s) =>
        jobs.wait(s.job!.request_id, {
          until: 'end',
          budgetMs: call.deadline.remainingMs(),
          signal: call.signal,
          progress: options.progress.shotSink(s.index),
        }),
      ),
    );
    rethrowAbort(waits);
  }
  const after = await standing(deps.ledger, board);
  // A completed shot is read once more for its outputs and charge, and its clip saved (again, if the copy is gone); a failed one for its reason.
  const toCollect = [
    ...new Map(
      after
        .filter(
          (s) =>
            s.job &&
            ((s.phase === 'completed' && (needsFiles(s, options.download) || s.job.charged_usd === undefined || !s.job.output)) ||
              (s.phase === 'failed' && s.job.errors.length === 0)),
        )
        .map((s) => [s.job!.request_id, s]),
    ).values(),
  ];
  if (toCollect.length === 0) return;
  options.progress.finishing('saving', `saving ${toCollect.length} clip(s)`);
  // One saving budget for all of them, not one each: the call still answers in time.
  const saveUntil = clock.now() + call.deadline.atLeast(MIN_SAVE_MS);
  const saves = await Promise.allSettled(
    toCollect.map((s) =>
      saving.run(async () => {
        const left = saveUntil - clock.now();
        if (left <= 0) return;
        await jobs.collect(s.job!.request_id, options.download, call.signal, left);
      }, call.signal),
    ),
  );
  rethrowAbort(saves);
  saves.forEach((r, i) => {
    if (r.status === 'rejected') deps.log.warn(`storyboard ${board.storyboard_id}, shot ${toCollect[i]!.index}: ${(r.reason as Error).message}`);
  });
}

/** The client cancelled the call: that ends it, whatever the other shots did. */
function rethrowAbort(results: PromiseSettledResult<unknown>[]): void {
  const aborted = results.find((r) => r.status === 'rejected' && isKlingError(r.reason, 'aborted'));
  if (aborted) throw (aborted as PromiseRejectedResult).reason;
}

function needsFiles(s: ShotState, download: boolean): boolean {
  return download && (s.job?.files.length ?? 0) === 0;
}
