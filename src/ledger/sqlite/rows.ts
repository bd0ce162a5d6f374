/**
 * The ledger's rows: one event appended and folded (events.ts) into the row
 * of the job, storyboard or submission it changes, with that row's indexed
 * columns. Every write here runs inside the caller's transaction.
 */
import { z } from 'zod';
import { scalar, type Db } from './db.js';
import { boardDocSchema, entityOf, foldBoard, foldJob, jobDocSchema, pendingDocSchema, pendingOf, resolvedPending, type LedgerEvent } from '../events.js';
import { jobCostUsd, jobPhase, renderSlots, runTimeMs, type BoardRecord, type JobRecord, type PendingSubmission } from '../records.js';

/** A stored document, read back: types at the edges. */
export function parseDoc<T>(schema: z.ZodType<T>, text: unknown): T {
  return schema.parse(JSON.parse(String(text)));
}

export class Rows {
  private readonly q;

  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.q = {
      event: p('INSERT INTO events (id, t, at, board_id, body) VALUES (?, ?, ?, ?, ?)'),
      job: p('SELECT doc FROM jobs WHERE request_id = ?'),
      board: p('SELECT doc FROM boards WHERE storyboard_id = ?'),
      pending: p('SELECT doc FROM pending WHERE id = ?'),
      jobTotals: p('SELECT phase, cost_usd FROM jobs WHERE request_id = ?'),
      addTotal: p(
        `INSERT INTO job_totals (phase, n, usd, unpriced) VALUES (?1, ?2, coalesce(?3, 0) * ?2, (?3 IS NULL) * ?2)
         ON CONFLICT (phase) DO UPDATE SET n = n + excluded.n, usd = usd + excluded.usd, unpriced = unpriced + excluded.unpriced`,
      ),
      clearTotals: p('DELETE FROM job_totals'),
      recount: p(
        `INSERT OR REPLACE INTO job_totals (phase, n, usd, unpriced) SELECT phase, count(*), total(cost_usd), count(*) - count(cost_usd) FROM jobs GROUP BY phase`,
      ),
      putJob: p(`INSERT OR REPLACE INTO jobs (${JOB_COLUMNS.join(', ')}) VALUES (${JOB_COLUMNS.map(() => '?').join(', ')})`),
      // A whole history costs one call per batch, not one per row.
      putJobs: p(
        `INSERT OR REPLACE INTO jobs (${JOB_COLUMNS.join(', ')}) VALUES ${Array(BATCH)
          .fill(`(${JOB_COLUMNS.map(() => '?').join(', ')})`)
          .join(', ')}`,
      ),
      appendAll: p(
        `INSERT INTO events (id, t, at, board_id, body)
         SELECT json_extract(value, '$.id'), json_extract(value, '$.t'), json_extract(value, '$.at'), NULL, value FROM json_each(?)`,
      ),
      putBoard: p(
        `INSERT OR REPLACE INTO boards (storyboard_id, created_at, updated_at, closed, shot_count, untaken, seq, doc)
         VALUES (@storyboard_id, @created_at, @updated_at, @closed, @shot_count, @shot_count, @seq, @doc)`,
      ),
      putPending: p('INSERT OR REPLACE INTO pending (id, at, board_id, shot, doc) VALUES (?, ?, ?, ?, ?)'),
      dropPending: p('DELETE FROM pending WHERE id = ?'),
      dropShot: p(`DELETE FROM pending WHERE board_id = ? AND shot = ? AND ${CUT_OF('doc')} = ?`),
      // Every render slot of the board that a job or a submission in flight holds.
      takenSlots: p(`SELECT ${CUT_OF('doc')} AS cut, shot FROM jobs WHERE board_id = ?1 UNION SELECT ${CUT_OF('doc')}, shot FROM pending WHERE board_id = ?1`),
      untaken: p('UPDATE boards SET untaken = ? WHERE storyboard_id = ?'),
    };
  }

  job(id: string): JobRecord | undefined {
    const doc = scalar(this.q.job, id);
    return doc === undefined ? undefined : parseDoc(jobDocSchema, doc);
  }

  board(id: string): BoardRecord | undefined {
    const doc = scalar(this.q.board, id);
    return doc === undefined ? undefined : parseDoc(boardDocSchema, doc);
  }

  pending(id: string): PendingSubmission | undefined {
    const doc = scalar(this.q.pending, id);
    return doc === undefined ? undefined : parseDoc(pendingDocSchema, doc);
  }

  /** Appends an event to the audit trail; returns its seq. `boardId` is the storyboard it touched besides its own id. */
  append(e: LedgerEvent, boardId?: string): number {
    return Number(this.q.event.run(e.id, e.t, e.at, boardId ?? null, JSON.stringify(e)).lastInsertRowid);
  }

  /** Appends one event and folds it into its row; returns its seq. */
  apply(e: LedgerEvent): number {
    const resolved = resolvedPending(e);
    const settled = resolved === undefined ? undefined : this.pending(resolved);
    if (settled) this.q.dropPending.run(settled.id);
    const entity = entityOf(e);
    let boardId = settled?.board?.id;
    let seq: number;
    if (entity.kind === 'pending') {
      if (entity.e.t === 'submitting') boardId = entity.e.board?.id;
      seq = this.append(e, boardId);
      if (entity.e.t === 'submitting') {
        // As events.ts#sameShot: a new submission of a storyboard shot replaces one left in flight by a dead process.
        if (entity.e.board) this.q.dropShot.run(entity.e.board.id, entity.e.board.shot, entity.e.board.cut ?? 1);
        this.putPending(pendingOf(entity.e));
      }
    } else if (entity.kind === 'board') {
      seq = this.append(e);
      const board = foldBoard(this.board(e.id), entity.e);
      if (board) this.putBoard(board, seq);
    } else {
      const job = foldJob(this.job(e.id), entity.e);
      boardId = job.board?.id ?? boardId;
      seq = this.append(e, boardId);
      this.putJob(job, seq);
    }
    if (boardId) this.countUntaken(boardId);
    return seq;
  }

  /** Appends events to the audit trail in batches (an import): no one is told of them, so no board is noted. */
  appendAll(events: LedgerEvent[]): void {
    for (let i = 0; i < events.length; i += EVENT_BATCH) this.q.appendAll.run(JSON.stringify(events.slice(i, i + EVENT_BATCH)));
  }

  /** Stores a job, moving it in job_totals from its old phase and cost to the new ones. */
  putJob(job: JobRecord, seq: number): void {
    const old = this.q.jobTotals.raw().get(job.request_id) as [string, number | null] | undefined;
    if (old) this.q.addTotal.run(old[0], -1, old[1]);
    const row = jobColumns(job, seq);
    this.q.putJob.run(...row);
    this.q.addTotal.run(jobPhase(job), 1, jobCostUsd(job) ?? null);
  }

  /** Stores many jobs (an import, a batch at a time), leaving job_totals to recountTotals once they are all in. */
  putJobs(jobs: JobRecord[], seq: number): void {
    let i = 0;
    for (; i + BATCH <= jobs.length; i += BATCH) this.q.putJobs.run(...jobs.slice(i, i + BATCH).flatMap((j) => jobColumns(j, seq)));
    for (; i < jobs.length; i++) this.q.putJob.run(...jobColumns(jobs[i]!, seq));
  }

  /** Counts job_totals afresh from the jobs table (after an import); a phase no job is in keeps no count. */
  recountTotals(): void {
    this.q.clearTotals.run();
    this.q.recount.run();
  }

  /** Stores a board; its count of untaken renders is set by countUntaken. */
  putBoard(board: BoardRecord, seq: number): void {
    this.q.putBoard.run({
      storyboard_id: board.storyboard_id,
      created_at: board.created_at,
      updated_at: board.updated_at,
      closed: board.closed ? 1 : 0,
      shot_count: renderSlots(board).length,
      seq,
      doc: JSON.stringify(board),
    });
    this.countUntaken(board.storyboard_id);
  }

  putPending(p: PendingSubmission): void {
    this.q.putPending.run(p.id, p.at, p.board?.id ?? null, p.board?.shot ?? null, JSON.stringify(p));
  }

  /** The renders of the board's current cut no job or submission holds yet: what the spend still reserves for it. */
  private countUntaken(boardId: string): void {
    const board = this.board(boardId);
    if (!board) return;
    const taken = new Set(
      this.q.takenSlots
        .all(boardId)
        .map((r) => slotRow.parse(r))
        .map((r) => slotKey(r)),
    );
    this.q.untaken.run(renderSlots(board).filter((s) => !taken.has(slotKey(s))).length, boardId);
  }
}

/** The cut a job or pending row's board reference names (cut 1 when it names none, as ledgers older than revisions wrote). */
export const CUT_OF = (doc: string) => `coalesce(json_extract(${doc}, '$.board.cut'), 1)`;
const slotRow = z.object({ cut: z.number(), shot: z.number() });
const slotKey = (s: { cut: number; shot: number }) => `${s.cut}#${s.shot}`;

/** Rows per batch: a few MB at most, and fewer bound values than SQLite allows in one statement. */
const BATCH = 200;
/** Events per batch, as one JSON array (json_each). */
const EVENT_BATCH = 2_000;

const JOB_COLUMNS = [
  'request_id',
  'model',
  'phase',
  'status',
  'duration',
  'submitted_at',
  'sort_at',
  'updated_at',
  'board_id',
  'shot',
  'cost_usd',
  'run_ms',
  'seq',
  'doc',
] as const;

/** A job's row: the record as its document, beside the columns the queries filter and sort on. */
function jobColumns(job: JobRecord, seq: number): (string | number | null)[] {
  const row: Record<(typeof JOB_COLUMNS)[number], string | number | null> = {
    request_id: job.request_id,
    model: job.model,
    phase: jobPhase(job),
    status: job.status ?? null,
    duration: job.input?.duration ?? null,
    submitted_at: job.submitted_at ?? null,
    sort_at: job.submitted_at ?? job.updated_at,
    updated_at: job.updated_at,
    board_id: job.board?.id ?? null,
    shot: job.board?.shot ?? null,
    cost_usd: jobCostUsd(job) ?? null,
    run_ms: runTimeMs(job) ?? null,
    seq,
    doc: JSON.stringify(job),
  };
  return JOB_COLUMNS.map((c) => row[c]);
}
