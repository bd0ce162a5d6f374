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
import { KlingError, isKlingError } from '../errors.js';
import type { BoardRecord, RecordedInput, Records } from '../jobs/records.js';
import { modelInputShape, type ModelInput } from '../model/kling-o1.js';
import { checkFrames, type CheckedFrame } from '../preflight/frames.js';
import { explainUrlRequired } from '../preflight/url-required.js';
import type { JobCall } from '../tools/define.js';
import { withRequestIds } from '../tools/job-flow.js';
import { continuityWarnings } from './continuity.js';
import type { BoardProgress } from './progress.js';
import { needsResubmit, processAlive, shotStates, type ShotState } from './shots.js';

export interface ShotInput {
  prompt: string;
  start_image_url: string;
  end_image_url: string;
  duration: ModelInput['duration'];
}

/** Saving clips of several shots at once, but not all 24: bounded disk and socket use. */
const SAVE_CONCURRENCY = 4;
const MIN_SAVE_MS = 5_000;
/** Time kept back from the call's budget for answering once submissions stop. */
const SUBMIT_MARGIN_MS = 5_000;

function newStoryboardId(now: number): string {
  return `sb-${now.toString(36)}${randomBytes(3).toString('hex')}`;
}

const frameRefs = (shots: { start_image_url: string; end_image_url: string }[], indexes: number[]) =>
  indexes.flatMap((i) => [
    { label: `shot ${i} start_image_url`, ref: shots[i - 1]!.start_image_url },
    { label: `shot ${i} end_image_url`, ref: shots[i - 1]!.end_image_url },
  ]);

/** Checks the frames of the given shots (each distinct frame once); returns what to send and what to record per shot. */
async function checkShots(call: JobCall, shots: ShotInput[], indexes: number[], onImage?: (image: Buffer, sha256: string) => Promise<void>) {
  const checked = await checkFrames(frameRefs(shots, indexes), await call.app.imageSources(), call.signal, onImage);
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
  await confirmSpend(call, { what, estimateUsd: total, jobs: args.shots.length });

  const id = newStoryboardId(call.app.clock.now());
  await call.jobs.planBoard({ id, title: args.title, shots, estimate_usd: total, warnings }, `this ${what}`);
  const board = (await call.app.ledger.board(id))!;
  await saveSheet(call, board, checked, thumbs).catch((err: unknown) => call.app.log.warn(`storyboard ${id}: no contact sheet: ${(err as Error).message}`));
  return { board, checked };
}

/**
 * Submits, in order, every shot that needs it: never submitted, or (with
 * resubmitFailed) failed, cancelled or lost to a crash. Frames of shots not
 * checked in this call are checked first, all or nothing. Stops at the first
 * refusal; the shots already submitted keep running and are named in the error.
 */
export async function submitShots(
  call: JobCall,
  board: BoardRecord,
  o: { resubmitFailed: boolean; checked?: CheckedShots; progress: BoardProgress },
): Promise<string[]> {
  if (board.closed) return [];
  const wanted = (s: ShotState) => s.phase === 'not_submitted' || (o.resubmitFailed && needsResubmit(s));
  const todo = shotStates(board, call.app.ledger.state(), processAlive)
    .filter(wanted)
    .map((s) => s.index);
  if (todo.length === 0) return [];
  if (!o.checked) refuseInlineFrames(board, todo);
  const checked = o.checked ?? (await checkShots(call, board.shots.map(asShotInput), todo));
  const price = await call.jobs.price();
  const sent: string[] = [];
  let done = board.shots.length - todo.length;
  // Submitting is cheap but not free: a slow RunComfy must not hold the call past the client's timeout. Shots
  // left over stay in the plan, and get_storyboard submits them.
  const submitWithinMs = Math.max(call.deadline.budgetMs, call.app.config.maxWaitS * 1000) - SUBMIT_MARGIN_MS;
  for (const index of todo) {
    if (sent.length > 0 && call.deadline.elapsedMs() > submitWithinMs) {
      call.app.log.warn(`storyboard ${board.storyboard_id}: out of time after ${sent.length} submission(s); get_storyboard submits the rest.`);
      break;
    }
    const shot = checked.get(index)!;
    // Claimed under the lock: another call (or process) may have submitted this shot since we looked.
    const claim = (records: Records) => {
      const now = shotStates(board, records, processAlive)[index - 1]!;
      return !records.boards.get(board.storyboard_id)?.closed && wanted(now);
    };
    try {
      const sub = await call.jobs.submit(shot.send, {
        recordAs: shot.record,
        estimateUsd: estimateUsd(price, shot.send.duration),
        board: { id: board.storyboard_id, shot: index },
        what: `shot ${index} of storyboard ${board.storyboard_id}`,
        signal: call.signal,
        claim,
      });
      if (sub) sent.push(sub.requestId);
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

/** A recorded shot as input again; its duration was valid when it was planned. */
function asShotInput(s: RecordedInput): ShotInput {
  return { ...s, duration: modelInputShape.duration.parse(s.duration) };
}

/** The ledger keeps only a digest of inline (data:) frames, so a shot planned with one cannot be sent again from the plan. */
function refuseInlineFrames(board: BoardRecord, indexes: number[]): void {
  const inline = indexes.flatMap((i) =>
    (['start_image_url', 'end_image_url'] as const).filter((f) => /^data:[^,]*;sha256=/.test(board.shots[i - 1]![f])).map((f) => `shot ${i} ${f}`),
  );
  if (inline.length > 0) {
    throw new KlingError(
      'invalid_input',
      `Storyboard ${board.storyboard_id} cannot submit ${inline.join(', ')}: that frame was given inline (a data: URI), and its bytes are not kept after the call that planned the board. ` +
        'Nothing was submitted. Make a new storyboard with those frames as file paths or https:// URLs.',
    );
  }
}

/** Every job of the board that exists upstream, earlier attempts included: an error must name them all. */
export function boardRequestIds(call: JobCall, boardId: string): string[] {
  return call.app.ledger.jobsOf(boardId).flatMap((j) => (j.outcome_unknown ? [] : [j.request_id]));
}

/** Waits (on the call's deadline) for every unfinished shot at once, then saves the clips of the completed ones. */
export async function settleShots(call: JobCall, board: BoardRecord, o: { download: boolean; progress: BoardProgress }): Promise<void> {
  const shots = shotStates(board, call.app.ledger.state(), processAlive);
  const running = shots.filter((s) => s.job && (s.phase === 'queued' || s.phase === 'running'));
  for (const s of shots) if (s.phase === 'completed' || s.phase === 'failed' || s.phase === 'cancelled') o.progress.shotDone(s.index);
  if (running.length > 0 && call.deadline.canWait()) {
    await Promise.all(
      running.map((s) =>
        call.jobs.wait(s.job!.request_id, { until: 'end', budgetMs: call.deadline.remainingMs(), signal: call.signal, progress: o.progress.shotSink(s.index) }),
      ),
    );
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
  const saveMs = call.deadline.atLeast(MIN_SAVE_MS);
  await mapLimit(toCollect, SAVE_CONCURRENCY, (s) => call.jobs.collect(s.job!.request_id, o.download, call.signal, saveMs));
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
          url: `storyboard:${board.storyboard_id}`,
          path: film.path,
          bytes: film.bytes,
          sha256: film.sha256,
          mime: 'video/mp4',
          duration_s: film.durationS,
          frames: film.frames,
          clips: shas,
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
  const frames: { image: Buffer; label: string }[] = [];
  for (let i = 1; i <= board.shots.length; i++) {
    const shot = checked.get(i)!;
    const last = frames.at(-1);
    if (last && checked.get(i - 1)!.end.sha256 === shot.start.sha256) last.label += `-${i}`;
    else frames.push({ image: thumbs.get(shot.start.sha256)!, label: `${i}` });
    frames.push({ image: thumbs.get(shot.end.sha256)!, label: `${i}` });
  }
  const { contactSheet } = await import('../media/contact-sheet.js');
  const sheet = await contactSheet(frames, path.join(call.app.config.outputDir, `${board.storyboard_id}.png`));
  const file = { url: `storyboard:${board.storyboard_id}`, path: sheet.path, bytes: sheet.bytes, sha256: sheet.sha256, mime: 'image/png' };
  await call.app.ledger.record('sheet', board.storyboard_id, { file }, call.app.clock.now());
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
