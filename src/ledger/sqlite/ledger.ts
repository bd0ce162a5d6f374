/**
 * The ledger as an SQLite file: ledger.db in KLING_MCP_STATE_DIR (db.ts), which
 * several server processes share. Each event is appended to the audit trail
 * and folded into the row of the record it changes (rows.ts) in one
 * transaction, committed to disk before the call goes on; a check that must
 * hold across processes (the spend limit, a storyboard shot's claim) runs in
 * the same write transaction as the event it guards. Reads are queries bounded
 * by an index or a limit, never the whole history. Changes made by other
 * processes are noticed by the last event seq, on every read.
 *
 * libsql's calls are synchronous; the store answers in Promises (store.ts), so
 * while a transaction awaits its checks another call of this process could
 * reach the same connection, or begin a transaction on another connection to
 * the file and wait for its lock without ever letting this one finish: every
 * operation on a file takes that file's one lock in this process, in turn.
 * Other processes wait on SQLite's lock (busy_timeout) as before.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KlingError } from '../../errors.js';
import type { Logger } from '../../util/log.js';
import { makeDir } from '../../util/make-dir.js';
import { Semaphore } from '../../util/semaphore.js';
import { BOARD_EVENTS, boardDocSchema, jobDocSchema, pendingDocSchema, type EventOf, type LedgerEvent } from '../events.js';
import type { AssetRecords, BoardRecord, BoardSlice, JobRecord } from '../records.js';
import type { AssetQuery, JobQuery, LedgerChange, LedgerSpend, LedgerStore, LedgerTx, ModelRead, Page, StoredQuote } from '../store.js';
import { ASSET_ID, ASSET_KEY, openDb, openError, scalar, type Db } from './db.js';
import { LEGACY_FILE, importEvents, readLegacy } from './jsonl-import.js';
import { CUT_OF, Rows, parseDoc } from './rows.js';

export const LEDGER_DB = 'ledger.db';
export { LEGACY_FILE };
/** Files of ours in the state folder: the database with SQLite's companions, and the old ledger it was imported from. */
const OURS = new Set([LEDGER_DB, `${LEDGER_DB}-wal`, `${LEDGER_DB}-shm`, `${LEDGER_DB}-journal`, LEGACY_FILE]);

/** Events read per look at what other processes wrote; more are read on the next look. */
const CHANGE_SCAN = 5_000;
const NEW_RECORD_EVENTS: ReadonlySet<string> = new Set(['submitted', 'submit_unknown', 'storyboard']);

const changeRow = z.object({ seq: z.number(), id: z.string(), t: z.string(), board_id: z.string().nullable() });
const spendRow = z.object({ n: z.number(), usd: z.number(), unpriced: z.number() });
const takenRow = z.object({ board_id: z.string(), shot: z.number(), cut: z.number() });
const pageRow = z.object({ doc: z.string(), sort: z.number(), id: z.string() });
const quoteRow = z.object({ fingerprint: z.string(), expires_at: z.number() });
const modelReadRow = z.object({ claimed_at: z.number(), read_at: z.number().nullable(), failed: z.string().nullable(), doc: z.string().nullable() });

/** A model's newest live-schema read as the table keeps it. */
function modelReadOf(db: Db, model: string): ModelRead | undefined {
  const row = db.prepare('SELECT claimed_at, read_at, failed, doc FROM model_reads WHERE model = ?').get(model);
  if (row === undefined) return undefined;
  const r = modelReadRow.parse(row);
  return {
    claimedAt: r.claimed_at,
    ...(r.doc !== null && { schema: JSON.parse(r.doc) as unknown }),
    ...(r.read_at !== null && { readAt: r.read_at }),
    ...(r.failed !== null && { failed: r.failed }),
  };
}

/** The lock of each ledger file in this process, shared by every store opened on it. */
const locks = new Map<string, Semaphore>();

/** `fn`'s value, or its throw, as a Promise. */
const settled = <T>(fn: () => T): Promise<T> => new Promise<T>((resolve) => resolve(fn()));

export class SqliteLedger implements LedgerStore {
  readonly file: string;
  private db: Db | undefined;
  private rows: Rows | undefined;
  /** The last event seq this process has reported; undefined until the first read (which reports nothing). */
  private seen: number | undefined;
  private readonly listeners = new Set<(change: LedgerChange) => void>();
  /** One operation on the file at a time in this process: a transaction awaiting its checks holds it. */
  private readonly lock: Semaphore;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dir, LEDGER_DB);
    const key = path.resolve(this.file);
    this.lock = locks.get(key) ?? new Semaphore(1);
    locks.set(key, this.lock);
  }

  /** Creates the folder and the database (importing an old jobs.jsonl once), and reports foreign files. */
  async open(): Promise<void> {
    await makeDir(this.dir, 0o700);
    for (const name of await fs.readdir(this.dir)) {
      if (!OURS.has(name)) this.log.warn(`ledger: ignoring ${path.join(this.dir, name)}, which is not kling-o1-mcp's.`);
    }
    const legacy = path.join(this.dir, LEGACY_FILE);
    const db = await openDb(this.file, (db) => {
      const count = importEvents(new Rows(db), readLegacy(legacy, this.log));
      if (count > 0) this.log.info(`ledger: imported ${count} event(s) from ${legacy} into ${this.file}; ${LEGACY_FILE} is left as it was.`);
    });
    this.rows = new Rows(db);
    this.db = db;
    this.refresh();
  }

  close(): Promise<void> {
    return this.lock.run(() =>
      settled(() => {
        this.db?.close();
        this.db = undefined;
      }),
    );
  }

  onChange(fn: (change: LedgerChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * BEGIN IMMEDIATE takes the file's write lock before `fn` reads anything, so
   * no other process writes between its checks and its events. A lock held too
   * long by another process refuses the call; nothing is written.
   */
  transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      const db = this.handle();
      this.sqlite(() => db.exec('BEGIN IMMEDIATE'));
      const tx = this.tx(db);
      let value: T;
      try {
        value = await fn(tx.view);
        this.sqlite(() => db.exec('COMMIT'));
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw openError(this.file, err);
      } finally {
        tx.end();
      }
      this.refresh();
      return value;
    });
  }

  record<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<EventOf<T>, 't' | 'id' | 'at'>, at: number): Promise<void> {
    return this.transaction((tx) => tx.write({ t, id, at, ...fields } as unknown as LedgerEvent));
  }

  job(id: string): Promise<JobRecord | undefined> {
    return this.read(() => this.rows!.job(id));
  }

  board(id: string): Promise<BoardRecord | undefined> {
    return this.read(() => this.rows!.board(id));
  }

  slice(boardId: string): Promise<BoardSlice | undefined> {
    return this.read((db) => this.sliceOf(db, boardId));
  }

  assets(query: AssetQuery): Promise<AssetRecords> {
    return this.read((db) => assetsOf(db, query));
  }

  jobs(query: JobQuery): Promise<Page<JobRecord> & { total: number }> {
    return this.read((db) => {
      const where = query.phases ? `phase IN (${query.phases.map(() => '?').join(', ')})` : '1';
      const params = query.phases ?? [];
      const total = Number(scalar(db.prepare(`SELECT coalesce(sum(n), 0) FROM job_totals WHERE ${where}`), ...params));
      const page = this.page(db, { table: 'jobs', id: 'request_id', sort: 'sort_at', where, params }, query);
      return { ...page, items: page.items.map((d) => parseDoc(jobDocSchema, d)), total };
    });
  }

  boards(query: { limit: number; cursor?: string }): Promise<Page<BoardRecord>> {
    return this.read((db) => {
      const page = this.page(db, { table: 'boards', id: 'storyboard_id', sort: 'created_at', where: '1', params: [] }, query);
      return { ...page, items: page.items.map((d) => parseDoc(boardDocSchema, d)) };
    });
  }

  completeIds(kind: 'jobs' | 'boards', prefix: string, limit: number): Promise<string[]> {
    const id = kind === 'jobs' ? 'request_id' : 'storyboard_id';
    return this.read((db) =>
      db
        .prepare(`SELECT ${id} FROM ${kind} WHERE ${id} >= ? AND ${id} < ? ORDER BY ${id} LIMIT ?`)
        .pluck()
        .all(prefix, `${prefix}\u{10ffff}`, limit)
        .map(String),
    );
  }

  recentRunsMs(model: string, duration: number | undefined, n: number): Promise<number[]> {
    return this.read((db) =>
      db
        .prepare('SELECT run_ms FROM jobs WHERE model = ? AND duration IS ? AND run_ms IS NOT NULL ORDER BY submitted_at DESC LIMIT ?')
        .pluck()
        .all(model, duration ?? null, n)
        .map(Number),
    );
  }

  spendSources(since: number): Promise<LedgerSpend> {
    return this.read((db) => spendOf(db, since));
  }

  putQuote(token: string, quote: StoredQuote, forgetBefore: number): Promise<void> {
    return this.write((db) => {
      db.prepare('DELETE FROM quotes WHERE expires_at <= ?').run(forgetBefore);
      db.prepare('INSERT INTO quotes (token, fingerprint, expires_at) VALUES (?, ?, ?)').run(token, quote.fingerprint, quote.expiresAt);
    });
  }

  takeQuote(token: string): Promise<StoredQuote | undefined> {
    return this.write((db) => {
      const row = db.prepare('SELECT fingerprint, expires_at FROM quotes WHERE token = ?').get(token);
      if (row === undefined) return undefined;
      db.prepare('DELETE FROM quotes WHERE token = ?').run(token);
      const q = quoteRow.parse(row);
      return { fingerprint: q.fingerprint, expiresAt: q.expires_at };
    });
  }

  modelRead(model: string): Promise<ModelRead | undefined> {
    return this.read((db) => modelReadOf(db, model));
  }

  claimModelRead(model: string, at: number, due: (last: ModelRead | undefined) => boolean): Promise<boolean> {
    return this.write((db) => {
      if (!due(modelReadOf(db, model))) return false;
      db.prepare(
        'INSERT INTO model_reads (model, claimed_at) VALUES (?, ?) ON CONFLICT (model) DO UPDATE SET claimed_at = excluded.claimed_at, failed = NULL',
      ).run(model, at);
      return true;
    });
  }

  putModelRead(model: string, found: { schema: unknown; at: number } | { failed: string; at: number }): Promise<void> {
    return this.write((db) => {
      if ('schema' in found) {
        db.prepare('UPDATE model_reads SET read_at = ?, failed = NULL, doc = ? WHERE model = ?').run(found.at, JSON.stringify(found.schema), model);
      } else db.prepare('UPDATE model_reads SET failed = ? WHERE model = ?').run(found.failed, model);
    });
  }

  /**
   * A write transaction's view of the connection, while the lock and BEGIN IMMEDIATE are held; once it ends, a
   * call left over (not awaited inside it) is refused rather than run outside the transaction.
   */
  private tx(db: Db): { view: LedgerTx; end: () => void } {
    let live = true;
    const inside = <T>(fn: () => T) =>
      settled(() => {
        if (!live) throw new Error('a ledger transaction was used after it ended; await every call inside it');
        return fn();
      });
    return {
      view: {
        slice: (boardId) => inside(() => this.sliceOf(db, boardId)),
        spendSources: (since) => inside(() => spendOf(db, since)),
        assets: (query) => inside(() => assetsOf(db, query)),
        write: (event) => inside(() => void this.rows!.apply(event)),
      },
      end: () => (live = false),
    };
  }

  /** A read, in turn, after a look at what was written since the last one. */
  private read<T>(fn: (db: Db) => T): Promise<T> {
    return this.lock.run(() =>
      settled(() => {
        this.refresh();
        return fn(this.handle());
      }),
    );
  }

  /** A write of the store's own (quotes), in one transaction of its own. */
  private write<T>(fn: (db: Db) => T): Promise<T> {
    return this.lock.run(() =>
      settled(() => {
        const db = this.handle();
        return this.sqlite(() => db.transaction(() => fn(db)).immediate());
      }),
    );
  }

  /** SQLite's refusals as the ledger's errors: a lock held too long, a file that cannot be written. */
  private sqlite<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw openError(this.file, err);
    }
  }

  private sliceOf(db: Db, id: string): BoardSlice | undefined {
    const board = this.rows!.board(id);
    if (!board) return undefined;
    const jobs = db.prepare('SELECT doc FROM jobs WHERE board_id = ? ORDER BY submitted_at, seq').pluck().all(id);
    const pending = db.prepare('SELECT doc FROM pending WHERE board_id = ? ORDER BY at').pluck().all(id);
    return { board, jobs: jobs.map((d) => parseDoc(jobDocSchema, d)), pending: pending.map((d) => parseDoc(pendingDocSchema, d)) };
  }

  private page(
    db: Db,
    t: { table: string; id: string; sort: string; where: string; params: readonly string[] },
    query: { limit: number; cursor?: string },
  ): Page<string> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const cond = after ? `AND (${t.sort} < ? OR (${t.sort} = ? AND ${t.id} < ?))` : '';
    const rows = db
      .prepare(`SELECT doc, ${t.sort} AS sort, ${t.id} AS id FROM ${t.table} WHERE ${t.where} ${cond} ORDER BY ${t.sort} DESC, ${t.id} DESC LIMIT ?`)
      .all(...t.params, ...(after ? [after.sort, after.sort, after.id] : []), query.limit + 1)
      .map((r) => pageRow.parse(r));
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return { items: items.map((r) => r.doc), ...(rows.length > query.limit && last && { next: encodeCursor(last.sort, last.id) }) };
  }

  /** Reports what was written since the last look (by this process or another): a cheap check of the last seq first. */
  private refresh(): void {
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
      // A job's event names its board too; a board's own event already gave its id.
      if (r.board_id && !BOARD_EVENTS.has(r.t)) ids.add(r.board_id);
    }
    const change = { ids: [...ids], added: rows.some((r) => NEW_RECORD_EVENTS.has(r.t)) };
    if (change.ids.length > 0) for (const fn of this.listeners) fn(change);
  }

  private handle(): Db {
    if (!this.db) throw new KlingError('state_unavailable', `The job ledger ${this.file} is not open yet.`);
    return this.db;
  }
}

/**
 * The spend sources since `since`: the jobs summed through their indexed cost
 * (all of them: job_totals), every submission in flight, and the open boards
 * that still reserve shots, with the shots their jobs took.
 */
function spendOf(db: Db, since: number): LedgerSpend {
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

/** The asset jobs through their indexes (db.ts: jobs_asset_id, jobs_asset_key); the few submissions in flight read whole. */
function assetsOf(db: Db, query: AssetQuery): AssetRecords {
  const ids = [...(query.ids ?? [])];
  const keys = [...(query.keys ?? [])];
  const marks = (list: readonly string[]) => list.map(() => '?').join(', ');
  const jobs = db
    .prepare(`SELECT doc FROM jobs WHERE ${ASSET_ID} IN (${marks(ids)}) UNION SELECT doc FROM jobs WHERE ${ASSET_KEY} IN (${marks(keys)})`)
    .pluck()
    .all(...ids, ...keys)
    .map((d) => parseDoc(jobDocSchema, d))
    .sort((a, b) => (a.submitted_at ?? 0) - (b.submitted_at ?? 0));
  const pending = db
    .prepare('SELECT doc FROM pending')
    .pluck()
    .all()
    .map((d) => parseDoc(pendingDocSchema, d))
    .filter((p) => p.input.asset && (ids.includes(p.input.asset.id) || keys.includes(p.input.asset.key)));
  return { jobs, pending };
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
