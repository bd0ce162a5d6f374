/**
 * What every other unit asks of the job ledger: the one durable record of
 * jobs, storyboards and submissions in flight, shared by every server process
 * that points at it. Every operation returns a Promise, so a store on a server
 * (libsql's, Postgres) can stand behind it as well as the SQLite file
 * (sqlite/ledger.ts, the one implementation today). Its behaviour is pinned by
 * test/ledger-contract.ts: a new store is done when it passes that suite.
 */
import type { AssetRecords, BoardRecord, BoardSlice, EventOf, JobRecord, LedgerEvent, PendingSubmission } from './records.js';

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

/** A page of jobs, newest first; with `phases`, only jobs in those phases (records.ts#jobPhase). */
export interface JobQuery {
  limit: number;
  cursor?: string;
  phases?: readonly string[];
}

/** Assets (keyframes, soundtracks) by their ids or their keys (records.ts: a job input's `asset`). */
export interface AssetQuery {
  ids?: readonly string[];
  keys?: readonly string[];
}

/** An open quote (costs/quote.ts): what it was for, and until when it holds. */
export interface StoredQuote {
  fingerprint: string;
  expiresAt: number;
}

/**
 * The newest read of a model's live input schema (GET /v1/models/{id}), shared by every process, so a model is read
 * at most once a day whatever the number of processes (jobs/live-schemas.ts).
 */
export interface ModelRead {
  /** When the newest read was claimed. */
  claimedAt: number;
  /** The live `input_schema` of the newest read that got one (unparsed JSON), and when it was read. */
  schema?: unknown;
  readAt?: number;
  /** Why the newest claimed read failed (the last schema read, if any, is kept); absent while it is under way or when it succeeded. */
  failed?: string;
}

/**
 * What a write transaction may do: read what its checks need and append
 * events. Nothing it reads can change before what it writes is committed, in
 * any process sharing the ledger.
 */
export interface LedgerTx {
  /** One storyboard with its jobs (oldest first) and its submissions in flight, as this transaction reads it. */
  slice(boardId: string): Promise<BoardSlice | undefined>;
  /** The assets of these ids or keys, as this transaction reads them (LedgerStore#assets). */
  assets(query: AssetQuery): Promise<AssetRecords>;
  /** The spend sources since `since`, as this transaction reads them (LedgerStore#spendSources). */
  spendSources(since: number): Promise<LedgerSpend>;
  /** Appends an event and folds it into its record. */
  write(event: LedgerEvent): Promise<void>;
}

export interface LedgerStore {
  /** Opens (creating if need be) the ledger; every other operation needs it. */
  open(): Promise<void>;
  close(): Promise<void>;

  /**
   * Runs `fn` in one write transaction: what it reads through `tx` cannot
   * change before what it writes is committed, in any process; a throw writes
   * nothing. The checks a reservation makes (the spend limit, a storyboard
   * shot's claim) run here. Inside `fn`, use `tx` only, not the store.
   */
  transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T>;
  /** Appends one event in its own transaction. `at` comes from the caller's clock, so event times and elapsed times agree under a virtual clock too. */
  record<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<EventOf<T>, 't' | 'id' | 'at'>, at: number): Promise<void>;

  job(id: string): Promise<JobRecord | undefined>;
  board(id: string): Promise<BoardRecord | undefined>;
  /** One storyboard with its jobs (oldest first; a shot submitted again has several) and its submissions in flight. */
  slice(boardId: string): Promise<BoardSlice | undefined>;
  /** The jobs (oldest first) and submissions in flight that make the assets of these ids or keys. */
  assets(query: AssetQuery): Promise<AssetRecords>;
  /** Jobs newest first, a page at a time, with how many match in all. */
  jobs(query: JobQuery): Promise<Page<JobRecord> & { total: number }>;
  /** Storyboards newest first, a page at a time. */
  boards(query: { limit: number; cursor?: string }): Promise<Page<BoardRecord>>;
  /** Ids of jobs or storyboards that start with `prefix`, at most `limit`, in order. */
  completeIds(kind: 'jobs' | 'boards', prefix: string, limit: number): Promise<string[]>;
  /** Run times of the newest `n` finished jobs of a model and clip length (none, for a model without durations), newest first. */
  recentRunsMs(model: string, duration: number | undefined, n: number): Promise<number[]>;
  /**
   * What the spend since `since` is made of (costs/spend.ts): the jobs submitted
   * since then (all of them for -Infinity), every submission in flight, and the
   * open boards created since then that still reserve renders, with the shots their jobs took.
   */
  spendSources(since: number): Promise<LedgerSpend>;

  /** Keeps an open quote until it is taken; quotes that expired before `forgetBefore` go at the same time. */
  putQuote(token: string, quote: StoredQuote, forgetBefore: number): Promise<void>;
  /** Takes an open quote out, once: of two processes presenting the same token, one gets it. */
  takeQuote(token: string): Promise<StoredQuote | undefined>;

  /** The newest read of a model's live schema (by its RunComfy id), if any was ever claimed. */
  modelRead(model: string): Promise<ModelRead | undefined>;
  /**
   * Claims the next read of a model's live schema at `at`, once across processes: true (and the claim recorded, any
   * earlier failure forgotten) when `due` holds of the newest read as this transaction sees it.
   */
  claimModelRead(model: string, at: number, due: (last: ModelRead | undefined) => boolean): Promise<boolean>;
  /** Keeps what a claimed read found: the schema (replacing the one kept), or why it failed (the kept schema stays). */
  putModelRead(model: string, found: { schema: unknown; at: number } | { failed: string; at: number }): Promise<void>;

  /**
   * Listeners told which job or storyboard ids changed, by this process or
   * another, as each read notices (what the first read finds is not a change).
   * Only registers the listener, so it answers at once; returns its removal.
   */
  onChange(fn: (change: LedgerChange) => void): () => void;
}
