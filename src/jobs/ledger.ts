/**
 * The durable job ledger: ledger.db in KLING_MCP_STATE_DIR, an SQLite file
 * (ledger-db.ts) that several server processes share. Each event is appended
 * to the audit trail and folded into the row of the record it changes in one
 * transaction, committed to disk before the call goes on; a check that must
 * hold across processes (the spend limit, a storyboard shot's claim) runs in
 * the same write transaction as the event it guards. Reads are queries bounded
 * by an index or a limit, never the whole history. Changes made by other
 * processes are noticed by the last event seq, on every read.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KlingError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { makeDir } from '../util/make-dir.js';
import { busyError, openDb, openError, scalar, type Db } from './ledger-db.js';
import { LEGACY_FILE, importEvents, readLegacy } from './ledger-import.js';
import { CUT_OF, Rows, parseDoc } from './ledger-rows.js';
import {
  boardDocSchema,
  jobDocSchema,
  pendingDocSchema,
  type BoardRecord,
  type BoardSlice,
  type EventOf,
  type JobRecord,
  type LedgerEvent,
  type PendingSubmission,
} from './records.js';

export type { BoardRecord, BoardSlice, JobRecord, LedgerEvent, PendingSubmission };
export type { SavedFile } from './records.js';

export const LEDGER_DB = 'ledger.db';
export { LEGACY_FILE };
/** Files of ours in the state folder: the database with SQLite's companions, and the old ledger it was imported from. */
const OURS = new Set([LEDGER_DB, `${LEDGER_DB}-wal`, `${LEDGER_DB}-shm`, `${LEDGER_DB}-journal`, LEGACY_FILE, 'spend.lock']);

/** What changed since the last read: job and storyboard ids, and whether any is new (the lists grew). */
export interface LedgerChange {
  ids: string[];
  added: boolean;
}

/** What the spend of a window is made of (costs/spend.ts sums it). */
export interface LedgerSpend {
  /** The jobs submitted in the window: how many, what they cost, how many of unknown price. */
  jobs: { usd: number; jobs: number; unpriced: number };
  /** Every submission in flight (it also holds its shot). */
  pending: PendingSubmission[];
  /** Open storyboards that may still reserve shots, each with the shots its jobs took. */
  boards: { board: BoardRecord; jobs: { board?: { id: string; shot: number; cut?: number } }[] }[];
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; absent on the last. */
  next?: string;
}

/** Events read per look at what other processes wrote; more are read on the next look. */
const CHANGE_SCAN = 5_000;
const BOARD_EVENTS = new Set(['storyboard', 'cut', 'storyboard_closed', 'film', 'film_error', 'sheet']);
const NEW_RECORD_EVENTS = new Set(['submitted', 'submit_unknown', 'storyboard']);

const changeRow = z.object({ seq: z.number(), id: z.string(), t: z.string(), board_id: z.string().nullable() });
const spendRow = z.object({ n: z.number(), usd: z.number(), unpriced: z.number() });
const takenRow = z.object({ board_id: z.string(), shot: z.number(), cut: z.number() });
const pageRow = z.object({ doc: z.string(), sort: z.number(), id: z.string() });
const quoteRow = z.object({ fingerprint: z.string(), expires_at: z.number() });

export class Ledger {
  readonly file: string;
  private db: Db | undefined;
  private rows: Rows | undefined;
  /** The last event seq this process has reported; undefined until the first read (which reports nothing). */
  private seen: number | undefined;
  private readonly listeners = new Set<(change: LedgerChange) => void>();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dir, LEDGER_DB);
  }

  /** Creates the folder and the database (importing an old jobs.jsonl once), and reports foreign files. */
  async open(): Promise<void> {
    await makeDir(this.dir, 0o700);
    for (const name of await fs.readdir(this.dir)) {
      if (!OURS.has(name)) this.log.warn(`ledger: ignoring ${path.join(this.dir, name)}, which is not kling-o1-mcp's.`);
    }
    const legacy = path.join(this.dir, LEGACY_FILE);
    this.db = await openDb(this.file, (db) => {
      const count = importEvents(new Rows(db), readLegacy(legacy, this.log));
      if (count > 0) this.log.info(`ledger: imported ${count} event(s) from ${legacy} into ${this.file}; ${LEGACY_FILE} is left as it was.`);
    });
    this.rows = new Rows(this.db);
    this.refresh();
  }

  /** Listeners told which job or storyboard ids changed (for resource notifications); what the first read finds is not a change. */
  onChange(fn: (change: LedgerChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Runs `fn` in one write transaction (BEGIN IMMEDIATE): what it reads cannot
   * change before what it writes is committed, in any process. A lock held
   * too long by another process refuses the call; nothing is written.
   */
  transaction<T>(fn: () => T): T {
    const db = this.handle();
    try {
      return db.transaction(fn).immediate();
    } catch (err) {
      if (err instanceof KlingError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw busyError(this.file);
      throw openError(this.file, err);
    }
  }

  /** Appends an event and folds it in; call it inside `transaction`. */
  write(event: LedgerEvent): void {
    this.handle();
    this.rows!.apply(event);
  }

  /** Keeps an open quote (costs/quote.ts) until it is taken; quotes that expired before `forgetBefore` go at the same time. */
  putQuote(token: string, fingerprint: string, expiresAt: number, forgetBefore: number): void {
    const db = this.handle();
    this.transaction(() => {
      db.prepare('DELETE FROM quotes WHERE expires_at <= ?').run(forgetBefore);
      db.prepare('INSERT INTO quotes (token, fingerprint, expires_at) VALUES (?, ?, ?)').run(token, fingerprint, expiresAt);
    });
  }

  /** Takes an open quote out, once: of two processes presenting the same token, one gets it. */
  takeQuote(token: string): { fingerprint: string; expiresAt: number } | undefined {
    const db = this.handle();
    return this.transaction(() => {
      const row = db.prepare('SELECT fingerprint, expires_at FROM quotes WHERE token = ?').get(token);
      if (row === undefined) return undefined;
      db.prepare('DELETE FROM quotes WHERE token = ?').run(token);
      const q = quoteRow.parse(row);
      return { fingerprint: q.fingerprint, expiresAt: q.expires_at };
    });
  }

  /** `at` comes from the caller's clock, so event times and elapsed times agree under a virtual clock too. */
  async record<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<EventOf<T>, 't' | 'id' | 'at'>, at: number): Promise<void> {
    this.transaction(() => this.write({ t, id, at, ...fields } as unknown as LedgerEvent));
    this.refresh();
  }

  async get(id: string): Promise<JobRecord | undefined> {
    this.refresh();
    return this.rows!.job(id);
  }

  async board(id: string): Promise<BoardRecord | undefined> {
    this.refresh();
    return this.rows!.board(id);
  }

  /** One storyboard with its jobs (oldest first; a shot submitted again has several) and its submissions in flight. */
  slice(id: string): BoardSlice | undefined {
    const board = this.rows!.board(id);
    if (!board) return undefined;
    const db = this.handle();
    const jobs = db.prepare('SELECT doc FROM jobs WHERE board_id = ? ORDER BY submitted_at, seq').pluck().all(id);
    const pending = db.prepare('SELECT doc FROM pending WHERE board_id = ? ORDER BY at').pluck().all(id);
    return { board, jobs: jobs.map((d) => parseDoc(jobDocSchema, d)), pending: pending.map((d) => parseDoc(pendingDocSchema, d)) };
  }

  /** Jobs newest first, a page at a time; with `phases`, only jobs in those phases (jobs/summary.ts#jobPhase). */
  jobs(o: { limit: number; cursor?: string; phases?: readonly string[] }): Page<JobRecord> & { total: number } {
    this.refresh();
    const db = this.handle();
    const where = o.phases ? `phase IN (${o.phases.map(() => '?').join(', ')})` : '1';
    const params = o.phases ?? [];
    const total = Number(scalar(db.prepare(`SELECT coalesce(sum(n), 0) FROM job_totals WHERE ${where}`), ...params));
    const page = this.page(db, { table: 'jobs', id: 'request_id', sort: 'sort_at', where, params }, o);
    return { ...page, items: page.items.map((d) => parseDoc(jobDocSchema, d)), total };
  }

  /** Storyboards newest first, a page at a time. */
  boards(o: { limit: number; cursor?: string }): Page<BoardRecord> {
    this.refresh();
    const page = this.page(this.handle(), { table: 'boards', id: 'storyboard_id', sort: 'created_at', where: '1', params: [] }, o);
    return { ...page, items: page.items.map((d) => parseDoc(boardDocSchema, d)) };
  }

  private page(
    db: Db,
    t: { table: string; id: string; sort: string; where: string; params: readonly string[] },
    o: { limit: number; cursor?: string },
  ): Page<string> {
    const after = o.cursor === undefined ? undefined : decodeCursor(o.cursor);
    const cond = after ? `AND (${t.sort} < ? OR (${t.sort} = ? AND ${t.id} < ?))` : '';
    const rows = db
      .prepare(`SELECT doc, ${t.sort} AS sort, ${t.id} AS id FROM ${t.table} WHERE ${t.where} ${cond} ORDER BY ${t.sort} DESC, ${t.id} DESC LIMIT ?`)
      .all(...t.params, ...(after ? [after.sort, after.sort, after.id] : []), o.limit + 1)
      .map((r) => pageRow.parse(r));
    const items = rows.slice(0, o.limit);
    const last = items.at(-1);
    return { items: items.map((r) => r.doc), ...(rows.length > o.limit && last && { next: encodeCursor(last.sort, last.id) }) };
  }

  /** Ids of jobs or storyboards that start with `prefix`, at most `limit`. */
  completeIds(kind: 'jobs' | 'boards', prefix: string, limit = 100): string[] {
    const id = kind === 'jobs' ? 'request_id' : 'storyboard_id';
    return this.handle()
      .prepare(`SELECT ${id} FROM ${kind} WHERE ${id} >= ? AND ${id} < ? ORDER BY ${id} LIMIT ?`)
      .pluck()
      .all(prefix, `${prefix}\u{10ffff}`, limit)
      .map(String);
  }

  /** Run times of the newest `n` finished jobs of a model and clip length (none, for a model without durations), newest first. */
  recentRunsMs(model: string, duration: number | undefined, n: number): number[] {
    return this.handle()
      .prepare('SELECT run_ms FROM jobs WHERE model = ? AND duration IS ? AND run_ms IS NOT NULL ORDER BY submitted_at DESC LIMIT ?')
      .pluck()
      .all(model, duration ?? null, n)
      .map(Number);
  }

  /**
   * What the spend since `since` is made of (costs/spend.ts): the jobs summed
   * through their indexed cost (all of them: job_totals), every submission in flight, and the open
   * boards that still reserve shots, with the shots their jobs took.
   */
  spendSources(since: number): LedgerSpend {
    const db = this.handle();
    const jobs = spendRow.parse(
      Number.isFinite(since)
        ? db.prepare('SELECT count(*) AS n, total(cost_usd) AS usd, count(*) - count(cost_usd) AS unpriced FROM jobs WHERE submitted_at >= ?').get(since)
        : db.prepare('SELECT coalesce(sum(n), 0) AS n, total(usd) AS usd, coalesce(sum(unpriced), 0) AS unpriced FROM job_totals').get(),
    );
    const pending = db
      .prepare('SELECT doc FROM pending')
      .pluck()
      .all()
      .map((d) => parseDoc(pendingDocSchema, d));
    const boards = db
      .prepare('SELECT doc FROM boards WHERE closed = 0 AND untaken > 0 AND created_at >= ?')
      .pluck()
      .all(Number.isFinite(since) ? since : Number.MIN_SAFE_INTEGER)
      .map((d) => parseDoc(boardDocSchema, d));
    const taken = db.prepare(`SELECT board_id, shot, ${CUT_OF('doc')} AS cut FROM jobs WHERE board_id = ?`);
    return {
      jobs: { usd: jobs.usd, jobs: jobs.n, unpriced: jobs.unpriced },
      pending,
      boards: boards.map((board) => ({
        board,
        jobs: taken
          .all(board.storyboard_id)
          .map((r) => takenRow.parse(r))
          .map((r) => ({ board: { id: r.board_id, shot: r.shot, cut: r.cut } })),
      })),
    };
  }

  /** Reports what was written since the last look (by this process or another): a cheap check of the last seq first. */
  refresh(): void {
    const db = this.handle();
    const max = Number(scalar(db.prepare('SELECT coalesce(max(seq), 0) FROM events')));
    if (this.seen === undefined) this.seen = max;
    if (max <= this.seen) return;
    const rows = db
      .prepare('SELECT seq, id, t, board_id FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(this.seen, CHANGE_SCAN)
      .map((r) => changeRow.parse(r));
    this.seen = rows.at(-1)?.seq ?? max;
    const ids = new Set<string>();
    for (const r of rows) {
      if (r.t !== 'submitting' && r.t !== 'submit_failed') ids.add(r.id);
      if (r.board_id && !BOARD_EVENTS.has(r.t)) ids.add(r.board_id);
    }
    const change = { ids: [...ids], added: rows.some((r) => NEW_RECORD_EVENTS.has(r.t)) };
    if (change.ids.length > 0) for (const fn of this.listeners) fn(change);
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private handle(): Db {
    if (!this.db) throw new KlingError('state_unavailable', `The job ledger ${this.file} is not open yet.`);
    return this.db;
  }
}

function encodeCursor(sort: number, id: string): string {
  return Buffer.from(JSON.stringify([sort, id])).toString('base64url');
}

function decodeCursor(cursor: string): { sort: number; id: string } {
  try {
    const [sort, id] = z.tuple([z.number(), z.string()]).parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { sort, id };
  } catch {
    throw new KlingError('invalid_input', 'cursor must be the next_cursor a previous answer gave, unchanged.');
  }
}
