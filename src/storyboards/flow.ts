/**
 * The life of a storyboard, in the steps the two storyboard tools share:
 * plan (check every frame once, price the whole board, confirm, reserve and
 * record the plan), submit the shots that need it (in order, each claimed
 * under the ledger's lock so no shot is ever sent twice), wait for all of them
 * on one deadline, save their clips, and stitch the film.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { confirmSpend } from '../costs/confirm.js';
import { estimateUsd } from '../costs/price.js';
import { KlingError, isKlingError, unexpectedError, withRequestIds } from '../errors.js';
import type { BoardRecord, RecordedInput, Records } from '../jobs/records.js';
import { klingO1ImageToVideo, modelInputShape, type ModelInput } from '../models/kling-o1-image-to-video.js';
import { checkFrames, type CheckedFrame } from '../preflight/frames.js';
import { explainUrlRequired } from '../preflight/url-required.js';
import type { JobCall } from '../calls/call.js';
import { MIN_SAVE_MS } from '../util/deadline.js';
import { Semaphore } from '../util/semaphore.js';
import { continuityWarnings } from './continuity.js';
import { keyframeOrder } from './keyframes.js';
import type { BoardProgress } from './progress.js';
import { processAlive, shotStates, type ShotState } from './shots.js';
import { storyboardUri } from './show.js';

export interface ShotInput {
  prompt: string;
  start_image_url: string;
  end_image_url: string;
  duration: ModelInput['duration'];
}

/** Saving clips of several shots at once, but not all 24: bounded disk and socket use. */
const saving = new Semaphore(4);
/** Time kept back from the call's budget for answering once submissions stop. */
const SUBMIT_MARGIN_MS = 5_000;

function newStoryboardId(now: number): string {
  return `sb-${now.toString(36)}${randomBytes(3).toString('hex')}`;
}

const frameRefs = (shots: { start_image_url: string; end_image_url: string }[], indexes: number[]) =>
  indexes.flatMap((i) => [
    { label: `shot ${i} start_image_url`, ref: shots[i - 1]!.start_image_url, spec: klingO1ImageToVideo.images.start_image_url },
    { label: `shot ${i} end_image_url`, ref: shots[i - 1]!.end_image_url, spec: klingO1ImageToVideo.images.end_image_url },
  ]);

/** Checks the frames of the given shots (each distinct frame once); returns what to send and what to record per shot. */
async function checkShots(call: JobCall, shots: ShotInput[], indexes: number[], onImage?: (image: Buffer, sha256: string) => Promise<void>) {
  // Dozens of slow image hosts must not hold the call past the client's timeout either.
  const limitMs = Math.max(call.deadline.budgetMs, call.app.config.maxWaitS * 1000) - SUBMIT_MARGIN_MS - call.deadline.elapsedMs();
  const overTime = AbortSignal.timeout(Math.max(1, limitMs));
  let checked: Map<string, CheckedFrame>;
  try {
    checked = await checkFrames(frameRefs(shots, indexes), await call.app.imageSources(), AbortSignal.any([call.signal, overTime]), onImage);
  } catch (err) {
    if (!overTime.aborted || call.signal.aborted) throw err;
    throw new KlingError(
      'image_unreachable',
      `Checking the frames of ${indexes.length} shot(s) took longer than this call may run (${Math.round(limitMs / 1000)} s), so nothing was submitted. ` +
        'Use faster image hosts (or local files), fewer distinct frames per board, or a longer KLING_MCP_MAX_WAIT_S.',
    );
  }
  const frame = (ref: string) => checked.get(ref)!;
  return new Map(
    indexes.map((i) => {
      const s = shots[i - 1]!;
      const start = frame(s.start_image_url);
      const end = frame(s.end_image_url);
      const send: ModelInput = { prompt: s.prompt, duration: s.duration, start_image_url: start.send, end_image_url: end.send };
      const record: RecordedInput = {
        prompt: s.prompt,
        duration: s.duration,
        start_image_url: start.record,
        end_image_url: end.record,
        image_sha256: { start_image_url: start.sha256, end_image_url: end.sha256 },
      };
      return [i, { send, record, start, end }] as const;
    }),
  );
}

export type CheckedShots = Awaited<ReturnType<typeof checkShots>>;

export interface Planned {
  board: BoardRecord;
  checked: CheckedShots;
}

/** Everything before money is spent: all or nothing. */
export async function planBoard(call: JobCall, args: { shots: ShotInput[]; title?: string }, progress: BoardProgress): Promise<Planned> {
  const indexes = args.shots.map((_, i) => i + 1);
  const thumbs = new Map<string, Buffer>();
  const checked = await checkShots(call, args.shots, indexes, async (image, sha256) => {
    thumbs.set(sha256, await thumbnail(image));
  });
  progress.framesChecked();
  const facts = (f: CheckedFrame) => ({ sha256: f.sha256, width: f.report.width, height: f.report.height });
  const warnings = continuityWarnings(indexes.map((i) => ({ start: facts(checked.get(i)!.start), end: facts(checked.get(i)!.end) })));

  const price = await call.jobs.price();
  const shots = args.shots.map((s, i) => ({ ...checked.get(i + 1)!.record, estimate_usd: estimateUsd(price, s.duration) }));
  const known = shots.every((s) => s.estimate_usd !== undefined);
  const total = known ? shots.reduce((sum, s) => sum + s.estimate_usd!, 0) : undefined;
  const seconds = args.shots.reduce((sum, s) => sum + s.duration, 0);
  const what = `a ${args.shots.length}-shot storyboard${args.title ? ` "${args.title}"` : ''} (${seconds} s of video)`;
  await call.jobs.precheckSpend(shots, `this ${what}`);
  await confirmSpend(call.confirm, call.app.config.confirmAboveUsd, { what, estimateUsd: total, jobs: args.shots.length, inputs: shots });

  const id = newStoryboardId(call.app.clock.now());
  await call.jobs.planBoard({ id, title: args.title, shots, estimate_usd: total, warnings }, `this ${what}`);
  const board = (await call.app.ledger.board(id))!;
  await saveSheet(call, board, checked, thumbs).catch((err: unknown) => call.app.log.warn(`storyboard ${id}: no contact sheet: ${(err as Error).message}`));
  return { board, checked };
}

export interface Resubmit {
  /** Shots that failed or were cancelled. */
  failed: boolean;
  /** Shots whose submission got no answer (it may have been accepted, and billed). */
  unknown: boolean;
}

/**
 * Submits, in order, every shot that needs it: never submitted, or (when asked)
 * failed, cancelled, or of unknown outcome. Shots not checked in this call are
 * checked first, all or nothing, and must still be the frames the plan was
 * made with; work beyond the plan is priced, checked against the limit and
 * confirmed first. Stops at the first refusal; the shots already submitted keep
 * running and are named in the error.
 */
export async function submitShots(
  call: JobCall,
  board: BoardRecord,
  o: { resubmit: Resubmit; checked?: CheckedShots; progress: BoardProgress },
): Promise<string[]> {
  if (board.closed) return [];
  const wanted = (s: ShotState) =>
    s.phase === 'not_submitted' ||
    (o.resubmit.failed && (s.phase === 'failed' || s.phase === 'cancelled')) ||
    (o.resubmit.unknown && s.phase === 'outcome_unknown');
  const states = shotStates(board, call.app.ledger.state(), processAlive).filter(wanted);
  const todo = states.map((s) => s.index);
  if (todo.length === 0) return [];
  const planned = (i: number) => board.shots[i - 1]!;
  const inline = todo.some((i) => isInline(planned(i).start_image_url) || isInline(planned(i).end_image_url));
  if (!o.checked && inline) refuseInlineFrames(board, todo);
  const checked = o.checked ?? (await checkShots(call, board.shots.map(asShotInput), todo));
  if (!o.checked) refuseChangedFrames(board, checked);
  const price = await call.jobs.price();
  // The plan's own estimate for a shot it reserved; today's price for anything it did not.
  const estimate = (i: number) => planned(i).estimate_usd ?? estimateUsd(price, planned(i).duration);
  const again = states.filter((s) => s.phase !== 'not_submitted').map((s) => s.index);
  if (again.length > 0) await confirmResubmit(call, board, again, estimate);

  const sent: string[] = [];
  let done = board.shots.length - todo.length;
  // Submitting is cheap but not free: a slow RunComfy must not hold the call past the client's timeout. Shots
  // left over stay in the plan and get_storyboard submits them (inline frames cannot wait: they are not kept).
  const submitWithinMs = Math.max(call.deadline.budgetMs, call.app.config.maxWaitS * 1000) - SUBMIT_MARGIN_MS;
  for (const index of todo) {
    if (sent.length > 0 && !inline && call.deadline.elapsedMs() > submitWithinMs) {
      call.app.log.warn(`storyboard ${board.storyboard_id}: out of time after ${sent.length} submission(s); get_storyboard submits the rest.`);
      break;
    }
    const shot = checked.get(index)!;
    // Claimed under the lock: another call (or process) may have submitted this shot, or closed the board, since we looked.
    const claim = (records: Records) => !records.boards.get(board.storyboard_id)?.closed && wanted(shotStates(board, records, processAlive)[index - 1]!);
    try {
      const sub = await call.jobs.submit(shot.send, {
        recordAs: shot.record,
        estimateUsd: estimate(index),
        board: { id: board.storyboard_id, shot: index },
        what: `shot ${index} of storyboard ${board.storyboard_id}`,
        signal: call.signal,
        claim,
      });
      if (!sub) continue;
      sent.push(sub.requestId);
      await cancelIfClosed(call, board.storyboard_id, sub.requestId);
    } catch (caught) {
      const err = explainUrlRequired(caught, [shot.send.start_image_url, shot.send.end_image_url]);
      throw withRequestIds(
        isKlingError(err)
          ? new KlingError(
              err.code,
              `Shot ${index} of storyboard ${board.storyboard_id} was not submitted: ${err.message}\nget_storyboard with storyboard_id "${board.storyboard_id}" submits the remaining shots once this is fixed.`,
              err.extra,
            )
          : err,
        [...new Set([...sent, ...boardRequestIds(call, board.storyboard_id)])],
      );
    }
    o.progress.shotsSubmitted(++done, `shot ${index} submitted`);
  }
  return sent;
}

/** A board cancelled while one of its shots was on the wire: that job is cancelled at once (it is still queued). */
async function cancelIfClosed(call: JobCall, boardId: string, requestId: string): Promise<void> {
  if (!(await call.app.ledger.board(boardId))?.closed) return;
  await call.client
    .cancel(requestId)
    .catch((err: unknown) => call.app.log.warn(`storyboard ${boardId} was cancelled, but its new job ${requestId} could not be: ${(err as Error).message}`));
}

/** Work beyond what the plan was confirmed for (shots sent again) is priced, checked and confirmed like a new board. */
async function confirmResubmit(call: JobCall, board: BoardRecord, indexes: number[], estimate: (i: number) => number | undefined): Promise<void> {
  const work = indexes.map((i) => ({ ...board.shots[i - 1]!, estimate_usd: estimate(i) }));
  const known = work.every((w) => w.estimate_usd !== undefined);
  const total = known ? work.reduce((sum, w) => sum + w.estimate_usd!, 0) : undefined;
  const what = `${indexes.length} shot(s) of storyboard ${board.storyboard_id} again (shot ${indexes.join(', ')})`;
  await call.jobs.precheckSpend(work, what);
  await confirmSpend(call.confirm, call.app.config.confirmAboveUsd, { what, estimateUsd: total, jobs: indexes.length, inputs: work });
}

const isInline = (ref: string) => /^data:[^,]*;sha256=/.test(ref);

/** A frame file changed since the board was planned: sending it would pay for a shot of other images. */
function refuseChangedFrames(board: BoardRecord, checked: CheckedShots): void {
  const changed = [...checked].flatMap(([i, shot]) =>
    (['start_image_url', 'end_image_url'] as const)
      .filter((f) => {
        const planned = board.shots[i - 1]!.image_sha256?.[f];
        return planned !== undefined && planned !== (f === 'start_image_url' ? shot.start : shot.end).sha256;
      })
      .map((f) => `shot ${i} ${f} (${board.shots[i - 1]![f]})`),
  );
  if (changed.length > 0) {
    throw new KlingError(
      'invalid_input',
      `Storyboard ${board.storyboard_id} was planned with other images than ${changed.join(', ')} now hold${changed.length === 1 ? 's' : ''}, so nothing was submitted. ` +
        'Put the original frames back, or make a new storyboard with the new ones.',
    );
  }
}

/** A recorded shot as input again; its duration was valid when it was planned. */
function asShotInput(s: RecordedInput): ShotInput {
  return { ...s, duration: modelInputShape.duration.parse(s.duration) };
}

/** The ledger keeps only a digest of inline (data:) frames, so a shot planned with one cannot be sent again from the plan. */
function refuseInlineFrames(board: BoardRecord, indexes: number[]): void {
  const inline = indexes.flatMap((i) =>
    (['start_image_url', 'end_image_url'] as const).filter((f) => isInline(board.shots[i - 1]![f])).map((f) => `shot ${i} ${f}`),
  );
  if (inline.length > 0) {
    throw new KlingError(
      'invalid_input',
      `Storyboard ${board.storyboard_id} cannot submit ${inline.join(', ')}: that frame was given inline (a data: URI), and its bytes are not kept after the call that planned the board. ` +
        'Nothing was submitted. Make a new storyboard with those frames as file paths or https:// URLs.',
    );
  }
}

const NOTHING_AGAIN: Resubmit = { failed: false, unknown: false };

/** Plans a new board and submits its shots; the checked frames (inline bytes included) are let go once they are sent. */
export async function startBoard(call: JobCall, args: { shots: ShotInput[]; title?: string }, progress: BoardProgress): Promise<BoardRecord> {
  const { board, checked } = await planBoard(call, args, progress);
  try {
    await submitShots(call, board, { resubmit: NOTHING_AGAIN, checked, progress });
  } catch (err) {
    throw boardError(call, board.storyboard_id, err);
  }
  return board;
}

/** Any failure once a board exists names the board and every job of it upstream, so nothing paid for is lost from the answer. */
export function boardError(call: JobCall, boardId: string, caught: unknown): unknown {
  const err = isKlingError(caught) ? caught : unexpectedError(caught);
  if (err.code === 'aborted') return err;
  const named = err.message.includes(boardId)
    ? err
    : new KlingError(err.code, `${err.message}\nStoryboard ${boardId}: get_storyboard with this storyboard_id shows every shot and carries on.`, err.extra);
  return withRequestIds(named, boardRequestIds(call, boardId));
}

/** Every job of the board that exists upstream, earlier attempts included: an error must name them all. */
export function boardRequestIds(call: JobCall, boardId: string): string[] {
  return call.app.ledger.jobsOf(boardId).flatMap((j) => (j.outcome_unknown ? [] : [j.request_id]));
}

/**
 * Waits (on the call's deadline) for every unfinished shot at once, then saves
 * the clips of the completed ones. One shot's trouble (an expired id, a failed
 * download) is logged and left for the next call; it never fails the others.
 */
export async function settleShots(call: JobCall, board: BoardRecord, o: { download: boolean; progress: BoardProgress }): Promise<void> {
  const shots = shotStates(board, call.app.ledger.state(), processAlive);
  const running = shots.filter((s) => s.job && (s.phase === 'queued' || s.phase === 'running'));
  for (const s of shots) if (s.phase === 'completed' || s.phase === 'failed' || s.phase === 'cancelled') o.progress.shotDone(s.index);
  if (running.length > 0 && call.deadline.canWait()) {
    const waits = await Promise.allSettled(
      running.map((s) =>
        call.jobs.wait(s.job!.request_id, { until: 'end', budgetMs: call.deadline.remainingMs(), signal: call.signal, progress: o.progress.shotSink(s.index) }),
      ),
    );
    rethrowAbort(waits);
  }
  const after = shotStates(board, call.app.ledger.state(), processAlive);
  // A completed shot is read once more for its outputs and charge, and its clip saved (again, if the copy is gone); a failed one for its reason.
  const toCollect = after.filter(
    (s) =>
      s.job &&
      ((s.phase === 'completed' && (needsFiles(s, o.download) || s.job.charged_usd === undefined || !s.job.output)) ||
        (s.phase === 'failed' && s.job.errors.length === 0)),
  );
  if (toCollect.length === 0) return;
  o.progress.finishing('saving', `saving ${toCollect.length} clip(s)`);
  // One saving budget for all of them, not one each: the call still answers in time.
  const saveUntil = call.app.clock.now() + call.deadline.atLeast(MIN_SAVE_MS);
  const saves = await Promise.allSettled(
    toCollect.map((s) =>
      saving.run(async () => {
        const left = saveUntil - call.app.clock.now();
        if (left <= 0) return;
        await call.jobs.collect(s.job!.request_id, o.download, call.signal, left);
      }, call.signal),
    ),
  );
  rethrowAbort(saves);
  saves.forEach((r, i) => {
    if (r.status === 'rejected') call.app.log.warn(`storyboard ${board.storyboard_id}, shot ${toCollect[i]!.index}: ${(r.reason as Error).message}`);
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

/**
 * Joins the completed clips, in shot order, into `<storyboard_id>.mp4` without
 * re-encoding. A film already made from the same clips is kept. Clips that
 * cannot be joined are reported (and kept); no broken film is ever left.
 */
export async function stitchFilm(call: JobCall, board: BoardRecord, progress: BoardProgress): Promise<void> {
  const shots = shotStates(board, call.app.ledger.state(), processAlive);
  if (!shots.every((s) => s.phase === 'completed')) return;
  const clips = shots.map((s) => s.job!.files.find((f) => f.mime.startsWith('video/')));
  if (clips.some((c) => !c)) return;
  const shas = clips.map((c) => c!.sha256);
  if (board.film && board.film.clips.join() === shas.join()) return;
  progress.finishing('stitching', 'stitching the film');
  const out = path.join(call.app.config.outputDir, `${board.storyboard_id}.mp4`);
  try {
    // Loaded on first use: the media code (mediabunny) stays off the server's start-up path.
    const { stitchClips } = await import('../media/stitch.js');
    const film = await stitchClips(
      clips.map((c) => c!.path),
      out,
    );
    await call.app.ledger.record(
      'film',
      board.storyboard_id,
      {
        film: {
          url: storyboardUri(board.storyboard_id),
          path: film.path,
          bytes: film.bytes,
          sha256: film.sha256,
          mime: 'video/mp4',
          duration_s: film.durationS,
          frames: film.frames,
          clips: shas,
          ...(film.warnings.length > 0 && { notes: film.warnings }),
        },
      },
      call.app.clock.now(),
    );
  } catch (err) {
    if (!isKlingError(err) || err.code === 'aborted') throw err;
    await call.app.ledger.record('film_error', board.storyboard_id, { message: err.message }, call.app.clock.now());
  }
}

/** A keyframe made small, so a 24-shot board does not hold 48 full images for its sheet. */
async function thumbnail(image: Buffer): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(image, { animated: false }).resize(320, 320, { fit: 'inside' }).png().toBuffer();
}

/**
 * The contact sheet: the keyframes in film order, each labelled with the shots
 * it belongs to ("1-2" is where shot 1 ends and shot 2 starts; a cut shows both frames).
 */
async function saveSheet(call: JobCall, board: BoardRecord, checked: CheckedShots, thumbs: Map<string, Buffer>): Promise<void> {
  const shas = board.shots.map((_, i) => ({ start: checked.get(i + 1)!.start.sha256, end: checked.get(i + 1)!.end.sha256 }));
  const frames = keyframeOrder(shas, (a, b) => a === b).map(({ key, label }) => ({ image: thumbs.get(key)!, label }));
  const { contactSheet } = await import('../media/contact-sheet.js');
  const sheet = await contactSheet(frames, path.join(call.app.config.outputDir, `${board.storyboard_id}.png`));
  const file = { url: storyboardUri(board.storyboard_id), path: sheet.path, bytes: sheet.bytes, sha256: sheet.sha256, mime: 'image/png' };
  await call.app.ledger.record('sheet', board.storyboard_id, { file }, call.app.clock.now());
}
