/**
 * Revising a board: the agent sends the whole shot list it wants, and each
 * shot either reuses a take of the board (the newest one with the same
 * prompt, duration, frame contents, engine and sound, or the one it names) or
 * needs a render. Only the renders are checked, priced, confirmed and counted against
 * the spend limit, as one, all or nothing; the new cut is then recorded in one
 * ledger transaction, decided again on the board's slice as read there, so two
 * revisions at once never render the same shot twice.
 */
import { KlingError } from '../errors.js';
import { atCut, jobPhase, type BoardRecord, type BoardSlice, type CutShot, type JobInput, type RecordedInput } from '../ledger/records.js';
import { modelById } from '../models/registry.js';
import {
  checkRefs,
  FRAME_FIELDS,
  frameRefs,
  liveEngines,
  plannedWork,
  readyShot,
  refuseDrift,
  sheetFrames,
  shotEngines,
  shotWarnings,
  soundtrackWarnings,
  type CheckedShots,
  type ReadyFrame,
  type ShotInput,
} from './check.js';
import type { BoardCall, BoardsDeps } from './deps.js';
import type { BoardProgress } from './progress.js';
import { sheetOrWarn, keepThumbnail } from './sheet.js';
import { processAlive, shotStates, type IsAlive } from './shots.js';
import { loadSlice } from './show.js';
import { checkSoundtrack, keepSoundtrack } from './soundtrack.js';
import { boardTakes, engineIdOf, fingerprint, slotOf, soundOf, type Take } from './takes.js';

export interface RevisedShot extends ShotInput {
  /** Omitted: reuse a matching take or render; "new": render another take (a re-roll); a number: that take. */
  take?: 'new' | number;
}

export interface ReviseArgs {
  storyboard_id: string;
  shots: RevisedShot[];
  title?: string;
  soundtrack?: string;
}

export interface Revised {
  board: BoardRecord;
  checked: CheckedShots;
  /** The cut's contact sheet, being made while its shots are submitted and its film stitched. */
  sheet: Promise<void>;
}

/** Everything before money is spent, and the new cut recorded: all or nothing. */
export async function reviseBoard(deps: BoardsDeps, call: BoardCall, args: ReviseArgs, progress: BoardProgress): Promise<Revised> {
  const slice = await loadSlice(deps.ledger, args.storyboard_id);
  const { board } = slice;
  const id = board.storyboard_id;
  if (board.closed) {
    throw new KlingError(
      'invalid_input',
      `Storyboard ${id} is cancelled, so it cannot be revised; nothing was submitted. Make a new storyboard (generate_storyboard) with the shots you want.`,
    );
  }
  const track = args.soundtrack === undefined ? undefined : await checkSoundtrack(deps, call.signal, args.soundtrack);
  const { checked, refuseDrift: refuse } = await readyShots(deps, call, slice, args.shots);
  progress.framesChecked();

  const first = decideCut(slice, args.shots, checked, processAlive);
  // What RunComfy's live schemas refuse, of the renders alone: nothing else of the new list is sent.
  refuse(first.renders);
  const work = args.shots.map((_, i) => plannedWork(checked.get(i + 1)!.record));
  // A pure re-cut asks nothing of RunComfy, not even the price.
  const priced = first.renders.length > 0 ? await deps.approval.price(work) : work.map((w) => ({ ...w, estimateUsd: undefined }));
  const estimate = (i: number) => priced[i - 1]!.estimateUsd;
  const what = `${first.renders.length} new take(s) for storyboard ${id} (shot ${first.renders.join(', ')})`;
  const warnings = [
    ...shotWarnings(checked),
    ...soundtrackWarnings(
      [...checked.values()].map((c) => c.record),
      track !== undefined,
    ),
  ];
  // Only the renders are paid for; the shots shared with other takes are priced for the plan alone.
  await deps.approval.approve(
    what,
    first.renders.map((i) => priced[i - 1]!),
    call.consent,
    { notes: warnings },
  );
  const soundtrack = track && (await keepSoundtrack(deps.settings.outputDir, track, id));

  const cut = await deps.jobs.planCut(id, what, (now) => {
    const fresh = now.board;
    if (fresh.closed) throw new KlingError('invalid_input', `Storyboard ${id} was cancelled while this revision was checked; nothing was submitted.`);
    const again = decideCut(now, args.shots, checked, processAlive);
    // Another revision may only have made work this one can share, never more than was confirmed.
    if (again.renders.some((i) => !first.renders.includes(i))) {
      throw new KlingError(
        'invalid_input',
        `Storyboard ${id} changed while this revision was checked (a take it would reuse failed or was cancelled), so nothing was submitted. Call revise_storyboard again.`,
      );
    }
    const cut = Math.max(...fresh.cuts.map((c) => c.cut)) + 1;
    const shots = again.shots.map((s, i) => (s.take === undefined ? { ...s, estimate_usd: s.estimate_usd ?? estimate(i + 1) } : s));
    const fresher = again.renders.map((i) => shots[i - 1]!);
    const sum = fresher.every((r) => r.estimate_usd !== undefined) ? fresher.reduce((a, r) => a + r.estimate_usd!, 0) : undefined;
    return {
      renders: fresher,
      cut: {
        cut,
        shots,
        warnings,
        ...(sum !== undefined && { estimate_usd: sum }),
        ...(soundtrack && { soundtrack }),
        ...(args.title && { title: args.title }),
      },
    };
  });
  const revised = atCut((await deps.ledger.board(id))!, cut);
  return { board: revised, checked, sheet: sheetOrWarn(deps, revised, sheetFrames(checked)) };
}

/**
 * Every shot of the new list on its engine (its own, else the board's), and
 * every frame ready to send with the digest of its bytes, checked against the
 * rules of the engine it goes to as RunComfy serves it today. An https URL the
 * board already checked for the same engine keeps its recorded digest and is not
 * fetched again; any other frame (a new URL, a local file, a data: URI, or a URL
 * moving to another engine, whose rules may be stricter) is read and checked,
 * since only its bytes say whether it is the same image and passes. What the live
 * schemas refuse is asked once the renders are known.
 */
async function readyShots(
  deps: BoardsDeps,
  call: BoardCall,
  { board, jobs }: BoardSlice,
  shots: RevisedShot[],
): Promise<{ checked: CheckedShots; refuseDrift: (renders: number[]) => void }> {
  const known = knownUrls(
    board,
    jobs.flatMap((j) => (j.input ? [j.input] : [])),
  );
  const engines = shotEngines(
    shots,
    shots.map((_, i) => i + 1),
    { model: board.model, sound: board.sound },
  );
  const live = await liveEngines(deps, call.signal, engines.values());
  const refs = [...engines].flatMap(([i, s]) => frameRefs(i, s, live).filter((r) => !known.has(knownKey(s.engine.id, r.ref))));
  const read =
    refs.length === 0
      ? new Map()
      : await checkRefs(deps, call, refs, `the revision of storyboard ${board.storyboard_id}`, (image, sha) =>
          keepThumbnail(deps.settings.outputDir, image, sha),
        );
  const frame = (engine: string, ref: string): ReadyFrame => read.get(ref) ?? { send: ref, record: ref, sha256: known.get(knownKey(engine, ref))! };
  return {
    checked: new Map([...engines].map(([i, s]) => [i, readyShot(s, frame(s.engine.id, s.shot.start_image_url), frame(s.engine.id, s.shot.end_image_url))])),
    refuseDrift: (renders) => refuseDrift(live, new Map(renders.map((i) => [i, engines.get(i)!]))),
  };
}

const knownKey = (engine: string, url: string) => `${engine} ${url}`;

/** https URLs this board has checked, by the engine they were checked for (knownKey), with the digest of what they served then. */
function knownUrls(board: BoardRecord, inputs: JobInput[]): Map<string, string> {
  const known = new Map<string, string>();
  for (const input of [...board.cuts.flatMap((c) => c.shots), ...inputs]) {
    for (const f of FRAME_FIELDS) {
      const sha = input.image_sha256?.[f];
      const ref = input[f];
      if (sha && typeof ref === 'string' && /^https?:\/\//i.test(ref)) known.set(knownKey(engineIdOf(input), ref), sha);
    }
  }
  return known;
}

export interface CutDecision {
  shots: CutShot[];
  /** 1-based indexes of the shots that need a new render (priced and confirmed). */
  renders: number[];
}

const usable = (t: Take) => {
  const phase = jobPhase(t.job);
  return phase !== 'failed' && phase !== 'cancelled';
};

/**
 * What each shot of the new list is: a take reused, the render of an earlier
 * cut it can share (still to be sent, or in flight), or a new render; with why.
 * Pure; throws invalid_input for a take that cannot be used.
 */
export function decideCut(slice: BoardSlice, shots: RevisedShot[], checked: CheckedShots, isAlive: IsAlive): CutDecision {
  const { board } = slice;
  const takes = boardTakes(slice.jobs);
  const states = shotStates(slice, isAlive);
  const id = board.storyboard_id;
  const out: CutShot[] = [];
  const renders: number[] = [];
  shots.forEach((s, i) => {
    const index = i + 1;
    const record = checked.get(index)!.record;
    const fp = fingerprint(record);
    if (typeof s.take === 'number') {
      out.push({ ...record, take: pickTake(id, index, s.take, takes, record), reason: `take ${s.take}, as asked` });
      return;
    }
    if (s.take !== 'new') {
      const match = takes.filter((t) => t.job.input && fingerprint(t.job.input) === fp && usable(t)).at(-1);
      if (match) {
        out.push({ ...record, take: match.take, reason: `same prompt, duration and frames as take ${match.take}` });
        return;
      }
      const flying = slice.pending.find((p) => p.board && fingerprint(p.input) === fp);
      if (flying) {
        out.push({ ...record, slot: slotOf(flying.board!), reason: 'same as a take being submitted now' });
        return;
      }
      const unsent = states.find(
        (st) => st.phase === 'not_submitted' && board.shots[st.index - 1]!.take === undefined && fingerprint(board.shots[st.index - 1]!) === fp,
      );
      if (unsent) {
        const was = board.shots[unsent.index - 1]!;
        out.push({
          ...record,
          slot: unsent.slot,
          estimate_usd: was.estimate_usd,
          reason: `same as shot ${unsent.index} of cut ${board.cut}, not yet submitted`,
        });
        return;
      }
      const twin = out.findIndex((earlier) => earlier.take === undefined && !earlier.slot && !earlier.reroll && fingerprint(earlier) === fp);
      if (twin >= 0) {
        out.push({ ...record, slot: { cut: Math.max(...board.cuts.map((c) => c.cut)) + 1, shot: twin + 1 }, reason: `same as shot ${twin + 1}` });
        return;
      }
    }
    renders.push(index);
    out.push({ ...record, ...(s.take === 'new' && { reroll: true }), reason: s.take === 'new' ? 're-roll' : whyRender(board.shots[i], record) });
  });
  return { shots: out, renders };
}

function pickTake(id: string, index: number, n: number, takes: Take[], wanted: JobInput): number {
  const take = takes.find((t) => t.take === n);
  if (!take) {
    const have = takes.length === 0 ? 'it has none yet' : `its takes are ${takes.map((t) => t.take).join(', ')}`;
    throw new KlingError('invalid_input', `Shot ${index}: storyboard ${id} has no take ${n} (${have}). Nothing was submitted.`);
  }
  const differs = take.job.input ? differences(take.job.input, wanted) : ['its inputs are not recorded'];
  if (differs.length > 0) {
    const shown = take.job.input ? ` ${inputsDiffer(n, take.job.input, wanted).join(' ')}` : '';
    throw new KlingError(
      'invalid_input',
      `Shot ${index}: take ${n} was made from other inputs (${differs.join('; ')}), so it cannot be this shot.${shown} Nothing was submitted. ` +
        'Give the shot exactly as that take was made (kling://storyboards/{storyboard_id} lists every take with its inputs), or leave take out to render it.',
    );
  }
  if (!usable(take)) {
    throw new KlingError(
      'invalid_input',
      `Shot ${index}: take ${n} ${jobPhase(take.job)}, so it has no clip to use. Nothing was submitted. Pick another take, or leave take out to render it.`,
    );
  }
  return n;
}

/** A frame differs by its content (the digest of its bytes), or by reference where no digest was recorded. */
const frameDiffers = (before: JobInput, now: JobInput, f: (typeof FRAME_FIELDS)[number]) =>
  (before.image_sha256?.[f] ?? before[f]) !== (now.image_sha256?.[f] ?? now[f]);

/** An engine's short name, by RunComfy id (the id itself for one this server no longer has). */
const engineName = (input: JobInput) => modelById(engineIdOf(input))?.name ?? engineIdOf(input);

/** How `now` differs from `before`, in the words the answer uses ("prompt changed", "frame changed: end_image_url", "engine changed"). */
function differences(before: JobInput, now: JobInput): string[] {
  const frames = FRAME_FIELDS.filter((f) => frameDiffers(before, now, f));
  return [
    ...(before.prompt !== now.prompt ? ['prompt changed'] : []),
    ...(before.duration !== now.duration ? ['duration changed'] : []),
    ...(frames.length > 0 ? [`frame changed: ${frames.join(', ')}`] : []),
    ...(engineIdOf(before) !== engineIdOf(now) ? [`engine changed: ${engineName(before)} → ${engineName(now)}`] : []),
    ...(soundOf(before) !== soundOf(now) ? [soundOf(now) ? 'sound added' : 'sound removed'] : []),
  ];
}

/** What differs between take `n`'s inputs and the shot as given, each side shown (frames by the digest of their bytes). */
function inputsDiffer(n: number, take: JobInput, shot: JobInput): string[] {
  const quote = (s: unknown) => {
    const t = String(s);
    return JSON.stringify(t.length > 80 ? `${t.slice(0, 79)}…` : t);
  };
  const frame = (input: JobInput, f: (typeof FRAME_FIELDS)[number]) => {
    const sha = input.image_sha256?.[f];
    const ref = String(input[f]);
    return `${ref.length > 80 ? `${ref.slice(0, 79)}…` : ref}${sha ? ` (sha256 ${sha.slice(0, 12)}…)` : ''}`;
  };
  return [
    ...(take.prompt !== shot.prompt ? [`prompt: take ${n} has ${quote(take.prompt)}, this shot ${quote(shot.prompt)}.`] : []),
    ...(take.duration !== shot.duration ? [`duration: take ${n} is ${take.duration} s, this shot ${shot.duration} s.`] : []),
    ...FRAME_FIELDS.filter((f) => frameDiffers(take, shot, f)).map(
      (f) => `${f}: take ${n} was made from ${frame(take, f)}, this shot gives ${frame(shot, f)}.`,
    ),
    ...(engineIdOf(take) !== engineIdOf(shot) ? [`engine: take ${n} was made on ${engineName(take)}, this shot asks for ${engineName(shot)}.`] : []),
    ...(soundOf(take) !== soundOf(shot)
      ? [`sound: take ${n} has ${soundOf(take) ? '' : 'no '}sound, this shot ${soundOf(shot) ? 'asks for it' : 'none'}.`]
      : []),
  ];
}

/** Why a shot is rendered, told against the shot that stood at its place in the current cut. */
function whyRender(before: CutShot | undefined, now: RecordedInput): string {
  if (!before) return 'new shot';
  const differs = differences(before, now);
  return differs.length > 0 ? differs.join('; ') : 'its earlier takes failed or were cancelled';
}
