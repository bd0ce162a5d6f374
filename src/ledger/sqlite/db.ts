/**
 * The ledger's SQLite file (through libsql, loaded on first use): opened with
 * the settings its promises rest on, its schema created (and an old jobs.jsonl
 * imported) once, in one transaction, and every way it can fail to open turned
 * into an error that names the file and what to do.
 */
import { existsSync, statSync } from 'node:fs';
import type Database from 'libsql';
import { KlingError } from '../../errors.js';

export type Db = Database.Database;

/** The first column of the first row, or undefined (libsql's pluck() applies to all(), not to get()). */
export function scalar(stmt: Database.Statement, ...params: unknown[]): unknown {
  return (stmt.raw().get(...params) as unknown[] | undefined)?.[0];
}

/** The schema this code writes (PRAGMA user_version); a file of a newer one is refused, never rewritten. */
export const SCHEMA_VERSION = 1;
/** How long a write waits for another process's transaction before the call is refused. */
export const BUSY_TIMEOUT_MS = 10_000;
/**
 * A write-ahead log larger than this at open is folded into the database and emptied (foldWal). In use,
 * SQLite's automatic checkpoints keep it near 4 MB (1,000 pages); only one large transaction (an import) or
 * a process that stopped before its checkpoint leaves more.
 */
export const WAL_FOLD_BYTES = 16 * 1024 * 1024;

/*
 * events: the audit trail, append-only. jobs, boards, pending: each record as
 * the fold (events.ts) leaves it, a JSON document beside the columns the
 * queries filter and sort on; `seq` is the last event that changed a row.
 * job_totals keeps the count and cost of the jobs in each phase, so a count
 * or an all-time spend is one small read, not a scan of every job.
 * boards.untaken counts the renders of a board's current cut (records.ts#renderSlots)
 * that no job or submission holds yet, so the spend reads only the boards that still reserve money.
 */
const SCHEMA = `
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, t TEXT NOT NULL, at INTEGER NOT NULL, board_id TEXT, body TEXT NOT NULL);
CREATE TABLE jobs (
  request_id TEXT PRIMARY KEY, model TEXT NOT NULL, phase TEXT NOT NULL, status TEXT, duration REAL,
  submitted_at INTEGER, sort_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, board_id TEXT, shot INTEGER,
  cost_usd REAL, run_ms INTEGER, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX jobs_newest ON jobs (sort_at DESC, request_id DESC);
CREATE INDEX jobs_phase ON jobs (phase, sort_at DESC, request_id DESC);
CREATE INDEX jobs_board ON jobs (board_id, shot) WHERE board_id IS NOT NULL;
CREATE INDEX jobs_spend ON jobs (submitted_at, cost_usd);
CREATE INDEX jobs_runs ON jobs (model, duration, submitted_at DESC) WHERE run_ms IS NOT NULL;
CREATE TABLE job_totals (phase TEXT PRIMARY KEY, n INTEGER NOT NULL, usd REAL NOT NULL, unpriced INTEGER NOT NULL);
CREATE TABLE boards (
  storyboard_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, closed INTEGER NOT NULL,
  shot_count INTEGER NOT NULL, untaken INTEGER NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX boards_newest ON boards (created_at DESC, storyboard_id DESC);
CREATE INDEX boards_reserving ON boards (created_at) WHERE closed = 0 AND untaken > 0;
CREATE TABLE pending (id TEXT PRIMARY KEY, at INTEGER NOT NULL, board_id TEXT, shot INTEGER, doc TEXT NOT NULL);
CREATE INDEX pending_board ON pending (board_id) WHERE board_id IS NOT NULL;
CREATE TABLE quotes (token TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, expires_at INTEGER NOT NULL);
`;

/** A job's asset id and key, as its document holds them: the expressions the asset indexes are on. */
export const ASSET_ID = "json_extract(doc, '$.input.asset.id')";
export const ASSET_KEY = "json_extract(doc, '$.input.asset.key')";
/**
 * Indexes on what the document already holds, so they are added to a file of any version at open (no
 * migration; an older server keeps reading the file).
 */
const ASSET_INDEXES = `
CREATE INDEX IF NOT EXISTS jobs_asset_id ON jobs (${ASSET_ID});
CREATE INDEX IF NOT EXISTS jobs_asset_key ON jobs (${ASSET_KEY});
`;

/**
 * Tables added since schema version 1 that older code neither reads nor minds, created where missing on every
 * open (a no-op read where they exist), so adding one refuses no older server that shares the file.
 * model_reads: each model's newest live input schema read (store.ts#ModelRead), the JSON of its schema in doc.
 */
const ADDED_TABLES = `
CREATE TABLE IF NOT EXISTS model_reads (model TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL, read_at INTEGER, failed TEXT, doc TEXT);
`;

/**
 * Opens (creating if need be) the database at `file`. `fill` runs once, in the
 * transaction that creates the schema, so a file is never seen half made and
 * two processes starting at once do it once between them.
 */
export async function openDb(file: string, fill: (db: Db) => void): Promise<Db> {
  // Loaded here, not at start-up: its native binary costs nothing until a call needs the ledger.
  const { default: Database } = await import('libsql');
  let db: Db | undefined;
  try {
    db = new Database(file);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL: readers never wait for a writer; FULL: a commit is on disk before the call answers.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = OFF');
    const opened = db;
    const version = () => Number(scalar(opened.prepare('PRAGMA user_version')));
    if (version() > SCHEMA_VERSION) throw newerSchema(file, version());
    if (version() < SCHEMA_VERSION) {
      opened
        .transaction(() => {
          // Another process may have made it while this one waited for the lock.
          if (version() >= SCHEMA_VERSION) return;
          opened.exec(SCHEMA);
          fill(opened);
          opened.pragma(`user_version = ${SCHEMA_VERSION}`);
        })
        .immediate();
    }
    opened.exec(ADDED_TABLES);
    if (!scalar(opened.prepare("SELECT 1 FROM sqlite_master WHERE name = 'jobs_asset_key'"))) opened.exec(ASSET_INDEXES);
    foldWal(opened, file);
    return db;
  } catch (err) {
    db?.close();
    throw openError(file, err);
  }
}

/**
 * The first process to open the file rebuilds the log's index by reading every
 * frame in it, so a log left large (by the import that created the file, or by
 * a process that stopped before its checkpoint) would slow each start in
 * proportion to the history: a truncating checkpoint, once, makes every later
 * start read an empty one. Best effort: while another process reads or writes,
 * it is left for the next open.
 */
function foldWal(db: Db, file: string): void {
  if ((statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) <= WAL_FOLD_BYTES) return;
  // Without waiting: a checkpoint blocked by another process would otherwise hold this one (and every call it
  // answers) for the whole busy timeout; a busy one just reports it in its row, and the next open tries again.
  db.pragma('busy_timeout = 0');
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') throw err;
  } finally {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

function newerSchema(file: string, found: number): KlingError {
  return new KlingError(
    'state_unavailable',
    `The job ledger ${file} was written by a newer kling-o1-mcp (schema version ${found}; this one reads up to ${SCHEMA_VERSION}), so it is not opened and nothing was submitted. ` +
      'Update kling-o1-mcp to the version that wrote it, or set KLING_MCP_STATE_DIR to another folder.',
  );
}

/** What went wrong with the ledger file, and what the user can do about it. */
export function openError(file: string, err: unknown): KlingError {
  if (err instanceof KlingError) return err;
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return busyError(file);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new KlingError(
      'state_unavailable',
      `The job ledger ${file} is damaged (${message}), so nothing was submitted. Move it aside (rename it, e.g. to ledger.db.broken, with its -wal file), ` +
        'then call again: a new ledger starts (jobs.jsonl in the same folder, if any, is imported again); the jobs in the damaged file are then no longer listed.',
    );
  }
  return new KlingError(
    'state_unavailable',
    `The job ledger ${file} cannot be ${existsSync(file) ? 'opened' : 'created'} (${message}). Set KLING_MCP_STATE_DIR to a folder this user can write, or fix its permissions; the next call tries again. Nothing was submitted.`,
  );
}

function busyError(file: string): KlingError {
  return new KlingError(
    'state_unavailable',
    `Another process has held the job ledger ${file} for over ${BUSY_TIMEOUT_MS / 1000} s, so nothing was submitted. Try again; if it persists, stop the kling-o1-mcp process that hangs.`,
  );
}
