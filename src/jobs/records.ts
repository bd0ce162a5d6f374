/**
 * What the ledger's lines mean: the event schema, and the fold of events into
 * the records the tools read (jobs, storyboards, submissions in flight). Pure,
 * so any process that reads the file arrives at the same state.
 */
import { z } from 'zod';
import { modelOutputSchema } from '../models/output.js';
import { isTerminal, phaseOf } from './phase.js';

const inputSchema = z.object({
  prompt: z.string(),
  start_image_url: z.string(),
  end_image_url: z.string(),
  duration: z.number(),
  /** sha256 of each image as checked before submitting, by field. */
  image_sha256: z.record(z.string(), z.string()).optional(),
});
/** The input as the ledger keeps it: image fields hold URLs, file paths or data: digests, never base64. */
export type RecordedInput = z.output<typeof inputSchema>;
/** A job's input as recorded, of whichever model ran it: its own fields, with at least a duration. */
const jobInputSchema = z.looseObject({ prompt: z.string().optional(), duration: z.number(), image_sha256: z.record(z.string(), z.string()).optional() });
export type JobInput = z.output<typeof jobInputSchema>;

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
});
export type FilmFile = z.output<typeof filmSchema>;

const boardRef = z.object({ id: z.string(), shot: z.number().int().min(1) });
const usd = z.number().min(0);

const eventSchema = z.discriminatedUnion('t', [
  // A submission about to be sent: its expected cost counts against the spend limit until it resolves.
  z.object({
    t: z.literal('submitting'),
    id: z.string(),
    at: z.number(),
    model: z.string().optional(),
    input: jobInputSchema,
    estimate_usd: usd.optional(),
    board: boardRef.optional(),
    // Which process sends it: a pending submission of a process that died has an unknown outcome.
    pid: z.number().optional(),
    instance: z.string().optional(),
  }),
  z.object({ t: z.literal('submit_failed'), id: z.string(), at: z.number(), error: z.string() }),
  z.object({
    t: z.literal('submitted'),
    id: z.string(),
    at: z.number(),
    model: z.string().optional(),
    input: jobInputSchema,
    estimate_usd: usd.optional(),
    intent: z.string().optional(),
    board: boardRef.optional(),
  }),
  z.object({
    t: z.literal('submit_unknown'),
    id: z.string(),
    at: z.number(),
    model: z.string().optional(),
    input: jobInputSchema,
    error: z.string(),
    estimate_usd: usd.optional(),
    intent: z.string().optional(),
    board: boardRef.optional(),
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
    shots: z.array(inputSchema.extend({ estimate_usd: usd.optional() })).min(1),
    estimate_usd: usd.optional(),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ t: z.literal('storyboard_closed'), id: z.string(), at: z.number(), reason: z.string() }),
  z.object({ t: z.literal('film'), id: z.string(), at: z.number(), film: filmSchema }),
  z.object({ t: z.literal('sheet'), id: z.string(), at: z.number(), file: savedFileSchema }),
  z.object({ t: z.literal('film_error'), id: z.string(), at: z.number(), message: z.string() }),
]);
export { eventSchema };
export type LedgerEvent = z.output<typeof eventSchema>;
export type EventOf<T extends LedgerEvent['t']> = Extract<LedgerEvent, { t: T }>;

export interface JobRecord {
  request_id: string;
  submitted_at?: number;
  /** The RunComfy model id that ran it; undefined on lines written before models were recorded (the seed model). */
  model?: string;
  input?: JobInput;
  /** The submission's outcome is unknown (no request_id came back); `request_id` is a local id. */
  outcome_unknown?: boolean;
  states: { status: string; at: number; queue_position?: number }[];
  status?: string;
  /** When a terminal state was first seen: elapsed time stops there. */
  ended_at?: number;
  output?: z.output<typeof modelOutputSchema>;
  files: SavedFile[];
  errors: { code: string; message: string; at: number }[];
  estimate_usd?: number;
  charged_usd?: number;
  /** The storyboard shot this job renders. */
  board?: { id: string; shot: number };
  updated_at: number;
}

/** A submission that was about to be sent and has no outcome recorded (yet, or ever: its process died). */
export interface PendingSubmission {
  id: string;
  at: number;
  input: JobInput;
  estimate_usd?: number;
  board?: { id: string; shot: number };
  pid?: number;
  /** Tells this process from an earlier one with the same pid. */
  instance?: string;
}

export interface BoardRecord {
  storyboard_id: string;
  created_at: number;
  title?: string;
  shots: (RecordedInput & { estimate_usd?: number })[];
  estimate_usd?: number;
  warnings?: string[];
  closed?: { at: number; reason: string };
  film?: FilmFile;
  sheet?: SavedFile;
  film_error?: string;
  updated_at: number;
}

export class Records {
  readonly jobs = new Map<string, JobRecord>();
  readonly boards = new Map<string, BoardRecord>();
  readonly pending = new Map<string, PendingSubmission>();

  clear(): void {
    this.jobs.clear();
    this.boards.clear();
    this.pending.clear();
  }

  /** Folds one event in; returns the id of the job or storyboard it changed (for resource notifications). */
  apply(e: LedgerEvent): string[] {
    switch (e.t) {
      case 'submitting':
        this.pending.set(e.id, { id: e.id, at: e.at, input: e.input, estimate_usd: e.estimate_usd, board: e.board, pid: e.pid, instance: e.instance });
        return e.board ? [e.board.id] : [];
      case 'submit_failed':
        this.pending.delete(e.id);
        return [];
      case 'storyboard':
        this.boards.set(e.id, {
          storyboard_id: e.id,
          created_at: e.at,
          title: e.title,
          shots: e.shots,
          estimate_usd: e.estimate_usd,
          warnings: e.warnings,
          updated_at: e.at,
        });
        return [e.id];
      case 'storyboard_closed':
      case 'film':
      case 'film_error':
      case 'sheet':
        return this.applyBoard(e);
      default:
        return this.applyJob(e);
    }
  }

  private applyBoard(e: EventOf<'storyboard_closed' | 'film' | 'film_error' | 'sheet'>): string[] {
    const board = this.boards.get(e.id);
    if (!board) return [];
    board.updated_at = Math.max(board.updated_at, e.at);
    if (e.t === 'storyboard_closed') board.closed = { at: e.at, reason: e.reason };
    if (e.t === 'film') {
      board.film = e.film;
      board.film_error = undefined;
    }
    if (e.t === 'sheet') board.sheet = e.file;
    if (e.t === 'film_error') board.film_error = e.message;
    return [e.id];
  }

  private applyJob(
    e: Exclude<LedgerEvent, EventOf<'submitting' | 'submit_failed' | 'storyboard' | 'storyboard_closed' | 'film' | 'film_error' | 'sheet'>>,
  ): string[] {
    const job: JobRecord = this.jobs.get(e.id) ?? { request_id: e.id, states: [], files: [], errors: [], updated_at: e.at };
    job.updated_at = Math.max(job.updated_at, e.at);
    switch (e.t) {
      case 'submitted':
      case 'submit_unknown':
        job.submitted_at = e.at;
        job.model = e.model;
        job.input = e.input;
        job.estimate_usd = e.estimate_usd;
        job.board = e.board;
        if (e.intent) this.pending.delete(e.intent);
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
    this.jobs.set(e.id, job);
    return job.board ? [e.id, job.board.id] : [e.id];
  }
}
