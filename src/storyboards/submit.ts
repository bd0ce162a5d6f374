/**
 * Submitting the shots of a board's current cut that need it, in order, each
 * claimed in a ledger transaction so no render slot is ever sent twice, across
 * calls and processes; each submission takes the board's next take number.
 */
import { KlingError, isKlingError, withRequestIds } from '../errors.js';
import type { BoardRecord, BoardSlice } from '../ledger/records.js';
import { explainUrlRequired } from '../preflight/url-required.js';
import { boardRequestIds } from './board-errors.js';
import { asShotInput, checkShots, FRAME_FIELDS, plannedWork, SUBMIT_MARGIN_MS, type CheckedShot, type CheckedShots } from './check.js';
import type { BoardCall, BoardsDeps } from './deps.js';
import type { BoardProgress } from './progress.js';
import { processAlive, shotStates, type ShotState } from './shots.js';
import { standing } from './show.js';
import { nextTake, sameSlot, type Slot } from './takes.js';

export interface Resubmit {
  /** Shots that failed or were cancelled. */
  failed: boolean;
  /** Shots whose submission got no answer (it may have been accepted, and billed). */
  unknown: boolean;
}

/** Another process took the take number first: that many fresh numbers are tried before giving up on the shot for this call. */
const TAKE_TRIES = 5;

/**
 * Submits, in order, every shot that needs it: never submitted, or (when asked)
 * failed, cancelled, or of unknown outcome. Shots not checked in this call are
 * checked first, all or nothing, and must still be the frames the plan was
 * made with; work beyond the plan is priced, checked against the limit and
 * confirmed first. Stops at the first refusal; the shots already submitted keep
 * running and are named in the error.
 */
export async function submitShots(
  deps: BoardsDeps,
  call: BoardCall,
  board: BoardRecord,
  options: { resubmit: Resubmit; checked?: CheckedShots; progress: BoardProgress },
): Promise<string[]> {
  if (board.closed) return [];
  const wanted = (s: ShotState) =>
    s.phase === 'not_submitted' ||
    (options.resubmit.failed && (s.phase === 'failed' || s.phase === 'cancelled')) ||
    (options.resubmit.unknown && s.phase === 'outcome_unknown');
  const states = (await standing(deps.ledger, board)).filter(wanted);
  const todo = states.map((s) => s.index);
  if (todo.length === 0) return [];
  const planned = (i: number) => board.shots[i - 1]!;
  const inline = todo.some((i) => FRAME_FIELDS.some((f) => isInline(planned(i)[f])));
  if (!options.checked && inline) refuseInlineFrames(board, todo);
  // A recorded shot names its engine and sound: the board's defaults do not apply to it again.
  const checked = options.checked ?? (await checkShots(deps, call, board.shots.map(asShotInput), todo, {}));
  if (!options.checked) refuseChangedFrames(board, checked);
  // The plan's own estimate for a shot it reserved; today's price for anything it did not.
  const work = todo.map((i) => ({ index: i, ...plannedWork(planned(i)), estimateUsd: planned(i).estimate_usd }));
  const priced = new Map((await deps.approval.price(work)).map((w) => [w.index, w]));
  const estimate = (i: number) => priced.get(i)!.estimateUsd;
  // Work beyond what the plan was confirmed for (shots sent again) is approved like a new board.
  const again = states.filter((s) => s.phase !== 'not_submitted').map((s) => s.index);
  await deps.approval.approve(
    `${again.length} shot(s) of storyboard ${board.storyboard_id} again (shot ${again.join(', ')})`,
    again.map((i) => priced.get(i)!),
    call.consent,
  );

  const sent: string[] = [];
  let done = board.shots.length - todo.length;
  // Submitting is cheap but not free: a slow RunComfy must not hold the call past the client's timeout. Shots
  // left over stay in the plan and get_storyboard submits them (inline frames cannot wait: they are not kept).
  const submitWithinMs = Math.max(call.deadline.budgetMs, deps.settings.maxWaitS * 1000) - SUBMIT_MARGIN_MS;
  for (const state of states) {
    const index = state.index;
    if (sent.length > 0 && !inline && call.deadline.elapsedMs() > submitWithinMs) {
      deps.log.warn(`storyboard ${board.storyboard_id}: out of time after ${sent.length} submission(s); get_storyboard submits the rest.`);
      break;
    }
    const shot = checked.get(index)!;
    try {
      const requestId = await submitSlot(deps, call.signal, board, state.slot, wanted, {
        engine: shot.engine,
        send: shot.send,
        record: shot.record,
        estimateUsd: estimate(index),
        what: `shot ${index} of storyboard ${board.storyboard_id}`,
      });
      if (requestId === undefined) continue;
      sent.push(requestId);
      await cancelIfClosed(deps, board.storyboard_id, requestId);
    } catch (caught) {
      const err = explainUrlRequired(caught, [shot.start.send, shot.end.send]);
      throw withRequestIds(
        isKlingError(err)
          ? new KlingError(
              err.code,
              `Shot ${index} of storyboard ${board.storyboard_id} was not submitted: ${err.message}\nget_storyboard with storyboard_id "${board.storyboard_id}" submits the remaining shots once this is fixed.`,
              err.extra,
            )
          : err,
        [...new Set([...sent, ...(await boardRequestIds(deps.ledger, board.storyboard_id))])],
      );
    }
    options.progress.shotsSubmitted(++done, `shot ${index} submitted`);
  }
  return sent;
}

/**
 * Submits one render slot if, in the reserving ledger transaction, the board's
 * current cut still wants it (another call or process may have submitted it,
 * closed the board, or made a new cut since we looked) and its take number is still free.
 */
async function submitSlot(
  { ledger, jobs }: Pick<BoardsDeps, 'ledger' | 'jobs'>,
  signal: AbortSignal,
  board: BoardRecord,
  slot: Slot,
  wanted: (s: ShotState) => boolean,
  job: Pick<CheckedShot, 'engine' | 'send' | 'record'> & { estimateUsd?: number; what: string },
): Promise<string | undefined> {
  const id = board.storyboard_id;
  const stillWanted = (slice: BoardSlice | undefined) =>
    slice !== undefined && !slice.board.closed && shotStates(slice, processAlive).some((s) => sameSlot(s.slot, slot) && wanted(s));
  for (let attempt = 0; attempt < TAKE_TRIES; attempt++) {
    const slice = await ledger.slice(id);
    const take = nextTake(slice?.jobs ?? [], slice?.pending ?? []);
    const claim = (now: BoardSlice) => stillWanted(now) && nextTake(now.jobs, now.pending) === take;
    const sub = await jobs.submit(job.send, {
      model: job.engine,
      recordAs: job.record,
      estimateUsd: job.estimateUsd,
      board: { id, shot: slot.shot, cut: slot.cut, take },
      what: job.what,
      signal,
      claim,
    });
    if (sub) return sub.requestId;
    // Not claimed: taken by someone else (done), or only the take number was (try the next one).
    if (!stillWanted(await ledger.slice(id))) return undefined;
  }
  return undefined;
}

/** A board cancelled while one of its shots was on the wire: that job is cancelled at once (it is still queued). */
async function cancelIfClosed(deps: Pick<BoardsDeps, 'ledger' | 'jobs' | 'log'>, boardId: string, requestId: string): Promise<void> {
  if (!(await deps.ledger.board(boardId))?.closed) return;
  await deps.jobs
    .cancel(requestId)
    .catch((err: unknown) => deps.log.warn(`storyboard ${boardId} was cancelled, but its new job ${requestId} could not be: ${(err as Error).message}`));
}

const isInline = (ref: string) => /^data:[^,]*;sha256=/.test(ref);

/** A frame file changed since the board was planned: sending it would pay for a shot of other images. */
function refuseChangedFrames(board: BoardRecord, checked: CheckedShots): void {
  const changed = [...checked].flatMap(([i, shot]) =>
    FRAME_FIELDS.filter((f) => {
      const planned = board.shots[i - 1]!.image_sha256?.[f];
      return planned !== undefined && planned !== (f === 'start_image_url' ? shot.start : shot.end).sha256;
    }).map((f) => `shot ${i} ${f} (${board.shots[i - 1]![f]})`),
  );
  if (changed.length > 0) {
    throw new KlingError(
      'invalid_input',
      `Storyboard ${board.storyboard_id} was planned with other images than ${changed.join(', ')} now hold${changed.length === 1 ? 's' : ''}, so nothing was submitted. ` +
        'Put the original frames back, or revise the storyboard (revise_storyboard) with the new ones.',
    );
  }
}

/** The ledger keeps only a digest of inline (data:) frames, so a shot planned with one cannot be sent again from the plan. */
function refuseInlineFrames(board: BoardRecord, indexes: number[]): void {
  const inline = indexes.flatMap((i) => FRAME_FIELDS.filter((f) => isInline(board.shots[i - 1]![f])).map((f) => `shot ${i} ${f}`));
  if (inline.length > 0) {
    throw new KlingError(
      'invalid_input',
      `Storyboard ${board.storyboard_id} cannot submit ${inline.join(', ')}: that frame was given inline (a data: URI), and its bytes are not kept after the call that planned the board. ` +
        'Nothing was submitted. Make a new storyboard with those frames as file paths or https:// URLs.',
    );
  }
}
