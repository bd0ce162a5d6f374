/**
 * What the ledger's events mean: the event schema (and the records' as stored, read back through it), and the fold
 * of events into the records the tools read (records.ts), one entity at a time (a job, a storyboard, a submission in
 * flight). Pure, so every process arrives at the same records; a store keeps what the fold returns (sqlite/rows.ts),
 * the import of an old jobs.jsonl folds in memory (Records). Only a store loads it: a start reads no ledger.
 */
import { z } from 'zod';
import { modelOutputSchema } from '../models/output.js';
import { OUTPUT_KINDS } from '../models/model.js';
import { DEFAULT_MODEL } from '../models/registry.js';
import { isTerminal, phaseOf } from '../jobs/phase.js';
import { filmSchema, savedFileSchema, showingCut, type BoardRecord, type CutRecord, type JobRecord, type PendingSubmission } from './records.js';

/** sha256 of each image as checked before submitting, by field. */
const imageShaSchema = z.record(z.string(), z.string());

/**
 * A job's input as the ledger keeps it, for any model: the fields that model
 * has (image fields hold URLs, file paths or data: digests, never base64).
 * Duration (seconds of video) and prompt are read where a model has them.
 */
const jobInputSchema = z.looseObject({
  prompt: z.string().optional(),
  duration: z.number().optional(),
  image_sha256: imageShaSchema.optional(),
  asset: z
    .object({
      /** Its id in the tools (kf-…, st-…). */
      id: z.string(),
      /** Of what made it (model, prompt, references by content, settings): the same key is the same asset, made once. */
      key: z.string(),
      /** The images it was made from, in order: a keyframe's id where one was given, and each image's sha256. */
      references: z.array(z.object({ keyframe_id: z.string().optional(), sha256: z.string() })).optional(),
    })
    .optional(),
});
export type JobInput = z.output<typeof jobInputSchema>;

/**
 * A storyboard shot as planned, in the clip tools' words whatever its engine: its engine by RunComfy id (absent: the
 * seed, as every shot was before there were engines) and its sound (absent: none).
 */
const shotSchema = z.object({
  prompt: z.string(),
  start_image_url: z.string(),
  end_image_url: z.string(),
  duration: z.number(),
  model: z.string().optional(),
  sound: z.boolean().optional(),
  image_sha256: imageShaSchema.optional(),
});
/** The input as the ledger keeps it for a storyboard shot: image fields hold URLs, file paths or data: digests, never base64. */
export type RecordedInput = z.output<typeof shotSchema>;

/** The RunComfy model of a submission. Events written before the ledger recorded one are of the seed model (DEFAULT_MODEL.id). */
const model = z.string().optional();
/** What the model makes and RunComfy's price unit for it, as of the submission; older events are of the seed model's (a video, per second). */
const made = { kind: z.enum(OUTPUT_KINDS).optional(), price_unit: z.string().optional() };

/**
 * The storyboard render slot a job fills: shot `shot` of cut `cut` (cut 1, the plan, when absent), and the job's take
 * number on its board (stable: allocated in the ledger transaction that claims the slot; absent in ledgers older than revisions).
 */
const usd = z.number().min(0);
const boardRef = z.object({ id: z.string(), shot: z.number().int().min(1), cut: z.number().int().min(1).optional(), take: z.number().int().min(1).optional() });
export type BoardRef = z.output<typeof boardRef>;

/** A soundtrack as checked and kept beside the films: the copy stitching reads, and where it came from. */
const soundtrackSchema = savedFileSchema.extend({
  codec: z.enum(['aac', 'mp3']).describe('the audio codec, copied into the film without re-encoding'),
  duration_s: z.number().describe('length of the track in seconds'),
});
export type SoundtrackFile = z.output<typeof soundtrackSchema>;

/**
 * A shot of a cut. It either reuses a take of the board (`take`) or is rendered in a slot: its own (cut, shot) by
 * default, or `slot`, the render of an earlier cut it shares (one still to be submitted or still in flight).
 */
const cutShotSchema = shotSchema.extend({
  estimate_usd: usd.optional(),
  take: z.number().int().min(1).optional(),
  slot: z.object({ cut: z.number().int().min(1), shot: z.number().int().min(1) }).optional(),
  /** Asked for as a new take even though one matched. */
  reroll: z.boolean().optional(),
  /** Why the shot is reused or rendered, in a few words ("prompt changed", "same as take 3"). */
  reason: z.string().optional(),
});
export type CutShot = z.output<typeof cutShotSchema>;

/** What every record of one submission carries: the model, what it makes, the input, its estimate and its board. */
const submission = { model, ...made, input: jobInputSchema, estimate_usd: usd.optional(), board: boardRef.optional() };

export const eventSchema = z.discriminatedUnion('t', [
  // A submission about to be sent: its expected cost counts against the spend limit until it resolves.
  z.object({
    t: z.literal('submitting'),
    id: z.string(),
    at: z.number(),
    ...submission,
    // Which process sends it: a pending submission of a process that died has an unknown outcome.
    pid: z.number().optional(),
    instance: z.string().optional(),
  }),
  z.object({ t: z.literal('submit_failed'), id: z.string(), at: z.number(), error: z.string() }),
  z.object({
    t: z.literal('submitted'),
    id: z.string(),
    at: z.number(),
    ...submission,
    intent: z.string().optional(),
  }),
  z.object({
    t: z.literal('submit_unknown'),
    id: z.string(),
    at: z.number(),
    ...submission,
    error: z.string(),
    intent: z.string().optional(),
  }),
  z.object({ t: z.literal('state'), id: z.string(), at: z.number(), status: z.string(), queue_position: z.number().optional() }),
  z.object({ t: z.literal('output'), id: z.string(), at: z.number(), output: modelOutputSchema }),
  z.object({ t: z.literal('file'), id: z.string(), at: z.number(), file: savedFileSchema }),
  z.object({ t: z.literal('error'), id: z.string(), at: z.number(), code: z.string(), message: z.string() }),
  z.object({ t: z.literal('cost'), id: z.string(), at: z.number(), charged_usd: usd }),
  z.object({
    t: z.literal('storyboard'),
    id: z.string(),
    at: z.number(),
    title: z.string().optional(),
    // The engine and sound its shots take unless they say otherwise, in this cut and in revisions.
    model: z.string().optional(),
    sound: z.boolean().optional(),
    shots: z.array(shotSchema.extend({ estimate_usd: usd.optional() })).min(1),
    estimate_usd: usd.optional(),
    warnings: z.array(z.string()).optional(),
    soundtrack: soundtrackSchema.optional(),
  }),
  // A revision accepted: cut `cut` (2, 3, …) becomes the board's current shot list.
  z.object({
    t: z.literal('cut'),
    id: z.string(),
    at: z.number(),
    cut: z.number().int().min(2),
    shots: z.array(cutShotSchema).min(1),
    estimate_usd: usd.optional(),
    warnings: z.array(z.string()).optional(),
    soundtrack: soundtrackSchema.optional(),
    title: z.string().optional(),
  }),
  z.object({ t: z.literal('storyboard_closed'), id: z.string(), at: z.number(), reason: z.string() }),
  // Of cut `cut` (1 when absent, as ledgers older than revisions wrote them).
  z.object({ t: z.literal('film'), id: z.string(), at: z.number(), film: filmSchema, cut: z.number().int().min(1).optional() }),
  z.object({ t: z.literal('sheet'), id: z.string(), at: z.number(), file: savedFileSchema, cut: z.number().int().min(1).optional() }),
  z.object({ t: z.literal('film_error'), id: z.string(), at: z.number(), message: z.string(), cut: z.number().int().min(1).optional() }),
]);
export type LedgerEvent = z.output<typeof eventSchema>;
export type EventOf<T extends LedgerEvent['t']> = Extract<LedgerEvent, { t: T }>;

/*
 * The records as the ledger stores them (a JSON document per row), read back
 * through these. Loose, so a field a newer fold adds is kept, never stripped.
 */
const stamp = z.object({ at: z.number() });
export const jobDocSchema: z.ZodType<JobRecord> = z.looseObject({
  request_id: z.string(),
  model: z.string(),
  // Rows folded before kinds were recorded are of the seed model's jobs.
  kind: z.enum(OUTPUT_KINDS).default(DEFAULT_MODEL.makes),
  price_unit: z.string().default(DEFAULT_MODEL.price.unit),
  submitted_at: z.number().optional(),
  input: jobInputSchema.optional(),
  outcome_unknown: z.boolean().optional(),
  states: z.array(stamp.extend({ status: z.string(), queue_position: z.number().optional() })),
  status: z.string().optional(),
  checked_at: z.number().optional(),
  ended_at: z.number().optional(),
  output: modelOutputSchema.optional(),
  files: z.array(savedFileSchema),
  errors: z.array(stamp.extend({ code: z.string(), message: z.string() })),
  estimate_usd: z.number().optional(),
  charged_usd: z.number().optional(),
  board: boardRef.optional(),
  updated_at: z.number(),
});
export const pendingDocSchema: z.ZodType<PendingSubmission> = z.looseObject({
  id: z.string(),
  at: z.number(),
  model: z.string(),
  kind: z.enum(OUTPUT_KINDS).optional(),
  price_unit: z.string().optional(),
  input: jobInputSchema,
  estimate_usd: z.number().optional(),
  board: boardRef.optional(),
  pid: z.number().optional(),
  instance: z.string().optional(),
});
const cutDocSchema = z.looseObject({
  cut: z.number(),
  at: z.number(),
  shots: z.array(cutShotSchema),
  estimate_usd: z.number().optional(),
  warnings: z.array(z.string()).optional(),
  soundtrack: soundtrackSchema.optional(),
  film: filmSchema.optional(),
  sheet: savedFileSchema.optional(),
  film_error: z.string().optional(),
});
const boardDocFields = z.looseObject({
  storyboard_id: z.string(),
  created_at: z.number(),
  title: z.string().optional(),
  model: z.string().optional(),
  sound: z.boolean().optional(),
  cut: z.number().optional(),
  cuts: z.array(cutDocSchema).optional(),
  shots: z.array(cutShotSchema),
  estimate_usd: z.number().optional(),
  warnings: z.array(z.string()).optional(),
  soundtrack: soundtrackSchema.optional(),
  closed: stamp.extend({ reason: z.string() }).optional(),
  film: filmSchema.optional(),
  sheet: savedFileSchema.optional(),
  film_error: z.string().optional(),
  updated_at: z.number(),
});
/** A board stored before revisions has no cuts: its plan is cut 1. */
export const boardDocSchema: z.ZodType<BoardRecord> = boardDocFields.transform((b) => {
  const { shots, estimate_usd, warnings, film, sheet, film_error } = b;
  return { ...b, cut: b.cut ?? 1, cuts: b.cuts ?? [{ cut: 1, at: b.created_at, shots, estimate_usd, warnings, film, sheet, film_error }] };
});

type PendingEvent = EventOf<'submitting' | 'submit_failed'>;
export type JobEvent = Exclude<LedgerEvent, PendingEvent | BoardEvent>;

/** The events that fold into a storyboard, listed once: the fold reads it, and so do the store's change notices. */
const BOARD_EVENT_TYPES = ['storyboard', 'cut', 'storyboard_closed', 'film', 'film_error', 'sheet'] as const;
export type BoardEvent = EventOf<(typeof BOARD_EVENT_TYPES)[number]>;
export const BOARD_EVENTS: ReadonlySet<string> = new Set(BOARD_EVENT_TYPES);

/** Which record an event folds into. */
export function entityOf(e: LedgerEvent): { kind: 'pending'; e: PendingEvent } | { kind: 'board'; e: BoardEvent } | { kind: 'job'; e: JobEvent } {
  if (e.t === 'submitting' || e.t === 'submit_failed') return { kind: 'pending', e };
  if (BOARD_EVENTS.has(e.t)) return { kind: 'board', e: e as BoardEvent };
  return { kind: 'job', e: e as JobEvent };
}

/** A submission in flight as its `submitting` event records it. */
export function pendingOf(e: EventOf<'submitting'>): PendingSubmission {
  return {
    id: e.id,
    at: e.at,
    model: e.model ?? DEFAULT_MODEL.id,
    ...(e.kind && { kind: e.kind }),
    ...(e.price_unit && { price_unit: e.price_unit }),
    input: e.input,
    estimate_usd: e.estimate_usd,
    board: e.board,
    pid: e.pid,
    instance: e.instance,
  };
}

/**
 * A storyboard shot is claimed only when no live submission holds it, so a new
 * one replaces any earlier submission of the shot still recorded in flight
 * (its process died; the user chose to send the shot again).
 */
export function sameShot(p: PendingSubmission, e: EventOf<'submitting'>): boolean {
  return p.board !== undefined && p.board.id === e.board?.id && p.board.shot === e.board.shot && (p.board.cut ?? 1) === (e.board.cut ?? 1);
}

/** The submission in flight an event resolves (its outcome is now recorded), if any. */
export function resolvedPending(e: LedgerEvent): string | undefined {
  if (e.t === 'submit_failed') return e.id;
  if (e.t === 'submitted' || e.t === 'submit_unknown') return e.intent;
  return undefined;
}

/** Folds one event into a storyboard; an event of a board never planned changes nothing. */
export function foldBoard(prev: BoardRecord | undefined, e: BoardEvent): BoardRecord | undefined {
  if (e.t === 'storyboard') {
    const first: CutRecord = { cut: 1, at: e.at, shots: e.shots, estimate_usd: e.estimate_usd, warnings: e.warnings, soundtrack: e.soundtrack };
    const defaults = { ...(e.model !== undefined && { model: e.model }), ...(e.sound !== undefined && { sound: e.sound }) };
    return showingCut({ storyboard_id: e.id, created_at: e.at, title: e.title, ...defaults, cut: 1, cuts: [first], shots: [], updated_at: e.at }, first);
  }
  if (!prev) return undefined;
  const board: BoardRecord = { ...prev, updated_at: Math.max(prev.updated_at, e.at) };
  if (e.t === 'storyboard_closed') board.closed = { at: e.at, reason: e.reason };
  if (e.t === 'cut') {
    // Two processes cannot both record cut n: cuts are numbered in the ledger transaction that records them. A repeated one is ignored.
    if (board.cuts.some((c) => c.cut === e.cut)) return prev;
    const cut: CutRecord = { cut: e.cut, at: e.at, shots: e.shots, estimate_usd: e.estimate_usd, warnings: e.warnings, soundtrack: e.soundtrack };
    board.cuts = [...board.cuts, cut];
    if (e.title) board.title = e.title;
  }
  if (e.t === 'film' || e.t === 'sheet' || e.t === 'film_error') {
    const n = e.cut ?? 1;
    board.cuts = board.cuts.map((c) => {
      if (c.cut !== n) return c;
      if (e.t === 'film') return { ...c, film: e.film, film_error: undefined };
      if (e.t === 'sheet') return { ...c, sheet: e.file };
      return { ...c, film_error: e.message };
    });
  }
  return showingCut(
    board,
    board.cuts.reduce((a, b) => (b.cut > a.cut ? b : a)),
  );
}

/** Folds one event into a job (a new one when `prev` is undefined). */
export function foldJob(prev: JobRecord | undefined, e: JobEvent): JobRecord {
  const job: JobRecord = prev
    ? { ...prev, states: [...prev.states], errors: [...prev.errors], updated_at: Math.max(prev.updated_at, e.at) }
    : {
        request_id: e.id,
        model: DEFAULT_MODEL.id,
        kind: DEFAULT_MODEL.makes,
        price_unit: DEFAULT_MODEL.price.unit,
        states: [],
        files: [],
        errors: [],
        updated_at: e.at,
      };
  switch (e.t) {
    case 'submitted':
    case 'submit_unknown':
      job.submitted_at = e.at;
      job.model = e.model ?? DEFAULT_MODEL.id;
      job.kind = e.kind ?? DEFAULT_MODEL.makes;
      job.price_unit = e.price_unit ?? DEFAULT_MODEL.price.unit;
      job.input = e.input;
      job.estimate_usd = e.estimate_usd;
      job.board = e.board;
      if (e.t === 'submit_unknown') {
        job.outcome_unknown = true;
        job.errors.push({ code: 'submit_outcome_unknown', message: e.error, at: e.at });
      }
      break;
    case 'state': {
      const prev = job.states.at(-1);
      if (!prev || prev.status !== e.status || prev.queue_position !== e.queue_position) {
        job.states.push({ status: e.status, at: e.at, ...(e.queue_position !== undefined && { queue_position: e.queue_position }) });
      }
      // Events of two processes may interleave; the latest observation wins.
      const latest = job.states.reduce((a, b) => (b.at >= a.at ? b : a));
      job.status = latest.status;
      job.checked_at = Math.max(job.checked_at ?? e.at, e.at);
      if (isTerminal(phaseOf(e.status))) job.ended_at = Math.min(job.ended_at ?? e.at, e.at);
      break;
    }
    case 'output':
      job.output = e.output;
      break;
    case 'file':
      job.files = [...job.files.filter((f) => f.path !== e.file.path), e.file];
      break;
    case 'error':
      job.errors.push({ code: e.code, message: e.message, at: e.at });
      break;
    case 'cost':
      job.charged_usd = e.charged_usd;
      break;
  }
  return job;
}

/** The whole fold in memory: what importing an old jobs.jsonl builds before it is stored, and what unit tests fold. */
export class Records {
  readonly jobs = new Map<string, JobRecord>();
  readonly boards = new Map<string, BoardRecord>();
  readonly pending = new Map<string, PendingSubmission>();

  /** `stored` finds a job folded earlier and no longer held here (an import writes jobs out as it goes). */
  constructor(private readonly stored: (id: string) => JobRecord | undefined = () => undefined) {}

  apply(event: LedgerEvent): void {
    const resolved = resolvedPending(event);
    if (resolved) this.pending.delete(resolved);
    const { kind, e } = entityOf(event);
    if (kind === 'pending') {
      if (e.t === 'submitting') {
        for (const p of this.pending.values()) if (sameShot(p, e)) this.pending.delete(p.id);
        this.pending.set(e.id, pendingOf(e));
      }
    } else if (kind === 'board') {
      const board = foldBoard(this.boards.get(e.id), e);
      if (board) this.boards.set(e.id, board);
    } else {
      this.jobs.set(e.id, foldJob(this.jobs.get(e.id) ?? this.stored(e.id), e));
    }
  }
}
