/**
 * The records the tools read, as the ledger's fold (events.ts) makes them: a job, a storyboard and its cuts, a
 * submission in flight; the saved-file and film shapes the tools' answers show; and what is read off a record (a
 * job's phase and cost, a board's cut and the render slots it reserves).
 */
import { z } from 'zod';
import type { OutputKind } from '../models/model.js';
import type { ModelOutput } from '../models/output.js';
import { phaseOf, type Phase } from '../jobs/phase.js';
import type { BoardRef, CutShot, JobInput, SoundtrackFile } from './events.js';

/** The types of the ledger's events and of a record's parts, inferred from its schemas (events.ts, which only a store loads). */
export type { BoardRef, CutShot, EventOf, JobInput, LedgerEvent, RecordedInput, SoundtrackFile } from './events.js';

export const savedFileSchema = z.object({
  url: z.string().describe('where the file came from (a remote URL, or the clips it was joined from)'),
  path: z.string().describe('local path of the saved file'),
  bytes: z.number(),
  sha256: z.string(),
  mime: z.string(),
});
export type SavedFile = z.output<typeof savedFileSchema>;

export const filmSchema = savedFileSchema.extend({
  duration_s: z.number().describe('length of the film in seconds'),
  frames: z.number().describe('video frames in the film'),
  clips: z.array(z.string()).describe('sha256 of each clip joined, in shot order'),
  notes: z.array(z.string()).optional().describe('what to know about the film, e.g. why it has no sound'),
  sound: z
    .object({ codec: z.string(), duration_s: z.number(), sha256: z.string() })
    .optional()
    .describe('the soundtrack muxed into the film (packets copied, cut at the film’s end): codec, its length in the film, sha256 of the track'),
  audio: z
    .object({
      from: z.enum(['clips', 'soundtrack', 'none']).describe("where the film's sound comes from: the clips' own, the board's soundtrack, or none"),
      why: z
        .string()
        .optional()
        .describe('why, when there is more to it: no clip has sound, formats that cannot be joined, silent shots, a soundtrack over the clips’ sound'),
      codec: z.string().optional(),
      duration_s: z.number().optional().describe('seconds of sound in the film'),
      silent_shots: z.array(z.number().int().min(1)).optional().describe('shots with no sound of their own, silent in a film that carries the others’ sound'),
    })
    .optional()
    .describe('the sound the film carries (absent on films made before it was recorded)'),
});
export type FilmFile = z.output<typeof filmSchema>;

export interface JobRecord {
  request_id: string;
  /** The RunComfy model (endpoint) the job runs on. */
  model: string;
  /** What it makes, and the unit its price is in (RunComfy's `price_unit` word). */
  kind: OutputKind;
  price_unit: string;
  submitted_at?: number;
  input?: JobInput;
  /** The submission's outcome is unknown (no request_id came back); `request_id` is a local id. */
  outcome_unknown?: boolean;
  states: { status: string; at: number; queue_position?: number }[];
  status?: string;
  /** When RunComfy was last asked for the state (states keep only changes); absent: never since the submission. */
  checked_at?: number;
  /** When a terminal state was first seen: elapsed time stops there. */
  ended_at?: number;
  output?: ModelOutput;
  files: SavedFile[];
  errors: { code: string; message: string; at: number }[];
  estimate_usd?: number;
  charged_usd?: number;
  /** The storyboard shot this job renders. */
  board?: BoardRef;
  updated_at: number;
}

/** A submission that was about to be sent and has no outcome recorded (yet, or ever: its process died). */
export interface PendingSubmission {
  id: string;
  at: number;
  model: string;
  kind?: OutputKind;
  price_unit?: string;
  input: JobInput;
  estimate_usd?: number;
  board?: BoardRef;
  pid?: number;
  /** Tells this process from an earlier one with the same pid. */
  instance?: string;
}

/** One cut of a board: its shot list and what was made of it. Cut 1 is the plan. */
export interface CutRecord {
  cut: number;
  at: number;
  shots: CutShot[];
  estimate_usd?: number;
  warnings?: string[];
  soundtrack?: SoundtrackFile;
  film?: FilmFile;
  sheet?: SavedFile;
  film_error?: string;
}

/** A board; its top-level shots, estimate, warnings, soundtrack, film and sheet are those of the current cut. */
export interface BoardRecord {
  storyboard_id: string;
  created_at: number;
  title?: string;
  /** The engine (RunComfy id) and sound of a shot that names neither, as the board was made with them. */
  model?: string;
  sound?: boolean;
  /** The current cut's number (1 until a revision is accepted). */
  cut: number;
  cuts: CutRecord[];
  shots: CutShot[];
  estimate_usd?: number;
  warnings?: string[];
  soundtrack?: SoundtrackFile;
  closed?: { at: number; reason: string };
  film?: FilmFile;
  sheet?: SavedFile;
  film_error?: string;
  updated_at: number;
}

/** The board as of cut `n` (its current one if there is no such cut): top-level fields mirror that cut. */
export function atCut(board: BoardRecord, n: number): BoardRecord {
  const c = board.cuts.find((x) => x.cut === n);
  return c ? showingCut(board, c) : board;
}

/** The board with cut `c` as its current one: its top-level fields mirror that cut. */
export function showingCut(board: BoardRecord, c: CutRecord): BoardRecord {
  return {
    ...board,
    cut: c.cut,
    shots: c.shots,
    estimate_usd: c.estimate_usd,
    warnings: c.warnings,
    soundtrack: c.soundtrack,
    film: c.film,
    sheet: c.sheet,
    film_error: c.film_error,
  };
}

/**
 * The render slots the board's current cut still reserves money for until each is submitted: every shot that
 * does not reuse a take, at its own (cut, shot) or at the earlier slot it shares, each slot once.
 */
export function renderSlots(board: {
  cut: number;
  shots: readonly { take?: number; slot?: { cut: number; shot: number }; estimate_usd?: number }[];
}): { cut: number; shot: number; estimate_usd?: number }[] {
  const slots = new Map<string, { cut: number; shot: number; estimate_usd?: number }>();
  board.shots.forEach((shot, i) => {
    if (shot.take !== undefined) return;
    const slot = shot.slot ?? { cut: board.cut, shot: i + 1 };
    const key = `${slot.cut}#${slot.shot}`;
    if (!slots.has(key)) slots.set(key, { ...slot, estimate_usd: shot.estimate_usd });
  });
  return [...slots.values()];
}

/** The jobs and submissions in flight that make assets (keyframes, soundtracks), found by asset id or key. */
export interface AssetRecords {
  jobs: JobRecord[];
  pending: PendingSubmission[];
}

/** One storyboard with what its shots stand on: its jobs (oldest first) and its submissions in flight. */
export interface BoardSlice {
  board: BoardRecord;
  jobs: JobRecord[];
  pending: PendingSubmission[];
}

/** A job's expected cost: RunComfy's charge when known; a job cancelled in the queue costs nothing. */
export function jobCostUsd(job: JobRecord): number | undefined {
  if (job.charged_usd !== undefined) return job.charged_usd;
  if (job.status && phaseOf(job.status) === 'cancelled') return 0;
  return job.estimate_usd;
}

/** Where a job stands, from its last state seen; a submission that got no answer and no state since is its own phase. */
export function jobPhase(job: JobRecord): Phase | 'outcome_unknown' {
  if (job.outcome_unknown && !job.status) return 'outcome_unknown';
  return job.status ? phaseOf(job.status) : 'queued';
}

/** Run time of a finished job: first seen in progress → first seen completed. */
export function runTimeMs(job: JobRecord): number | undefined {
  const started = job.states.find((s) => phaseOf(s.status) === 'running');
  const done = job.states.find((s) => phaseOf(s.status) === 'completed');
  return started && done && done.at > started.at ? done.at - started.at : undefined;
}
