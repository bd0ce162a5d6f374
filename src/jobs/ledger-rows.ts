/**
 * The ledger's rows: one event appended and folded (records.ts) into the row
 * of the job, storyboard or submission it changes, with that row's indexed
 * columns. Every write here runs inside the caller's transaction.
 */
import type { z } from 'zod';
import { jobCostUsd } from '../costs/spend.js';
import { scalar, type Db } from './ledger-db.js';
import {
  boardDocSchema,
  entityOf,
  foldBoard,
  foldJob,
  jobDocSchema,
  pendingDocSchema,
  pendingOf,
  resolvedPending,
  runTimeMs,
  type BoardRecord,
  type JobRecord,
  type LedgerEvent,
  type PendingSubmission,
} from './records.js';
import { jobPhase } from './summary.js';

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
      putJob: p(
        `INSERT OR REPLACE INTO jobs (request_id, model, phase, status, duration, submitted_at, sort_at, updated_at, board_id, shot, cost_usd, run_ms, seq, doc)
         VALUES (@request_id, @model, @phase, @status, @duration, @submitted_at, @sort_at, @updated_at, @board_id, @shot, @cost_usd, @run_ms, @seq, @doc)`,
      ),
      putBoard: p(
        `INSERT OR REPLACE INTO boards (storyboard_id, created_at, updated_at, closed, shot_count, untaken, seq, doc)
         VALUES (@storyboard_id, @created_at, @updated_at, @closed, @shot_count, @shot_count, @seq, @doc)`,
      ),
      putPending: p('INSERT OR REPLACE INTO pending (id, at, board_id, shot, doc) VALUES (?, ?, ?, ?, ?)'),
      dropPending: p('DELETE FROM pending WHERE id = ?'),
      dropShot: p('DELETE FROM pending WHERE board_id = ? AND shot = ?'),
      untaken: p(
        `UPDATE boards SET untaken = shot_count - (SELECT count(*) FROM (
           SELECT shot FROM jobs WHERE board_id = ?1 AND shot <= shot_count UNION SELECT shot FROM pending WHERE board_id = ?1 AND shot <= shot_count))
         WHERE storyboard_id = ?1`,
      ),
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
        // As records.ts#sameShot: a new submission of a storyboard shot replaces one left in flight by a dead process.
        if (entity.e.board) this.q.dropShot.run(entity.e.board.id, entity.e.board.shot);
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

  putJob(job: JobRecord, seq: number): void {
    this.q.putJob.run({
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
    });
  }

  /** Stores a board; its count of untaken shots is set by countUntaken. */
  putBoard(board: BoardRecord, seq: number): void {
    this.q.putBoard.run({
      storyboard_id: board.storyboard_id,
      created_at: board.created_at,
      updated_at: board.updated_at,
      closed: board.closed ? 1 : 0,
      shot_count: board.shots.length,
      seq,
      doc: JSON.stringify(board),
    });
    this.countUntaken(board.storyboard_id);
  }

  putPending(p: PendingSubmission): void {
    this.q.putPending.run(p.id, p.at, p.board?.id ?? null, p.board?.shot ?? null, JSON.stringify(p));
  }

  private countUntaken(boardId: string): void {
    this.q.untaken.run(boardId);
  }
}
