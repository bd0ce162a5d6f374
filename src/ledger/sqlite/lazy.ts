/**
 * The SQLite store as the server holds it from its start: the store itself (ledger.ts, with its queries, the file's
 * schema and the old jobs.jsonl import) loads with the first operation, which is the open (store.ts), never at
 * start-up, which only lists tools. Listeners are kept here, so registering one loads nothing.
 */
import type { Logger } from '../../util/log.js';
import type { AssetRecords, BoardRecord, BoardSlice, EventOf, JobRecord, LedgerEvent } from '../records.js';
import type { AssetQuery, JobQuery, LedgerChange, LedgerSpend, LedgerStore, LedgerTx, ModelRead, Page, StoredQuote } from '../store.js';
import type { SqliteLedger } from './ledger.js';

export class LazySqliteLedger implements LedgerStore {
  private store: Promise<SqliteLedger> | undefined;
  private readonly listeners = new Set<(change: LedgerChange) => void>();

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  private use<T>(op: (store: SqliteLedger) => Promise<T>): Promise<T> {
    this.store ??= import('./ledger.js').then(
      ({ SqliteLedger }) => {
        const store = new SqliteLedger(this.dir, this.log);
        store.onChange((change) => {
          for (const fn of this.listeners) fn(change);
        });
        return store;
      },
      (err: unknown) => {
        // Not kept: the next operation tries the load again, as the context's next call retries an open.
        this.store = undefined;
        throw err;
      },
    );
    return this.store.then(op);
  }

  open(): Promise<void> {
    return this.use((s) => s.open());
  }

  /** A store never loaded has nothing open. */
  close(): Promise<void> {
    return this.store ? this.use((s) => s.close()) : Promise.resolve();
  }

  transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    return this.use((s) => s.transaction(fn));
  }

  record<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<EventOf<T>, 't' | 'id' | 'at'>, at: number): Promise<void> {
    return this.use((s) => s.record(t, id, fields, at));
  }

  job(id: string): Promise<JobRecord | undefined> {
    return this.use((s) => s.job(id));
  }

  board(id: string): Promise<BoardRecord | undefined> {
    return this.use((s) => s.board(id));
  }

  slice(boardId: string): Promise<BoardSlice | undefined> {
    return this.use((s) => s.slice(boardId));
  }

  assets(query: AssetQuery): Promise<AssetRecords> {
    return this.use((s) => s.assets(query));
  }

  jobs(query: JobQuery): Promise<Page<JobRecord> & { total: number }> {
    return this.use((s) => s.jobs(query));
  }

  boards(query: { limit: number; cursor?: string }): Promise<Page<BoardRecord>> {
    return this.use((s) => s.boards(query));
  }

  completeIds(kind: 'jobs' | 'boards', prefix: string, limit: number): Promise<string[]> {
    return this.use((s) => s.completeIds(kind, prefix, limit));
  }

  recentRunsMs(model: string, duration: number | undefined, n: number): Promise<number[]> {
    return this.use((s) => s.recentRunsMs(model, duration, n));
  }

  spendSources(since: number): Promise<LedgerSpend> {
    return this.use((s) => s.spendSources(since));
  }

  putQuote(token: string, quote: StoredQuote, forgetBefore: number): Promise<void> {
    return this.use((s) => s.putQuote(token, quote, forgetBefore));
  }

  takeQuote(token: string): Promise<StoredQuote | undefined> {
    return this.use((s) => s.takeQuote(token));
  }

  modelRead(model: string): Promise<ModelRead | undefined> {
    return this.use((s) => s.modelRead(model));
  }

  claimModelRead(model: string, at: number, due: (last: ModelRead | undefined) => boolean): Promise<boolean> {
    return this.use((s) => s.claimModelRead(model, at, due));
  }

  putModelRead(model: string, found: { schema: unknown; at: number } | { failed: string; at: number }): Promise<void> {
    return this.use((s) => s.putModelRead(model, found));
  }

  onChange(fn: (change: LedgerChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
