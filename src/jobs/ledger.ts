/**
 * The durable job ledger: one append-only JSON-lines file of events, fsynced
 * on every write. A crash can at worst cut the last line short (skipped and
 * reported on read); several server processes may append to the same file at
 * once, since each event is a single O_APPEND write.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Logger } from '../util/log.js';
import { makeDir } from '../util/make-dir.js';
import { Records, eventSchema, type BoardRecord, type EventOf, type JobRecord, type LedgerEvent, type PendingSubmission } from './records.js';

export type { BoardRecord, JobRecord, LedgerEvent, PendingSubmission };
export type { SavedFile } from './records.js';

export const LEDGER_FILE = 'jobs.jsonl';
/** Taken while a submission is checked against the spend limit and recorded, so processes sharing the ledger cannot both pass. */
export const LOCK_FILE = 'spend.lock';

export class Ledger {
  private readonly file: string;
  private readonly records = new Records();
  private offset = 0;
  private lineNo = 0;
  private tail = '';
  /** The file has been read once: what that read found was there before this process, not a change. */
  private loaded = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(ids: string[], initial: boolean) => void>();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dir, LEDGER_FILE);
  }

  /** Creates the directory, reports foreign files, seals a torn last line, and loads what is there. */
  async open(): Promise<void> {
    await makeDir(this.dir, 0o700);
    for (const name of await fs.readdir(this.dir)) {
      if (name !== LEDGER_FILE && name !== LOCK_FILE) this.log.warn(`ledger: ignoring ${path.join(this.dir, name)}, which is not kling-o1-mcp's.`);
    }
    const handle = await fs.open(this.file, 'a+', 0o600);
    try {
      const { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        // A crash cut the last line: close it so the next event starts clean.
        if (last[0] !== 0x0a) await handle.write('\n');
      }
    } finally {
      await handle.close();
    }
    await this.refresh();
  }

  /**
   * Adds listeners told which job or storyboard ids changed (for resource
   * notifications). The first read reports every id already recorded, with
   * `initial` true: they are known from then on, but nothing changed.
   */
  onChange(fn: (ids: string[], initial: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async append(event: LedgerEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const handle = await fs.open(this.file, 'a', 0o600);
    try {
      await handle.write(line);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await this.refresh();
  }

  /** `at` comes from the caller's clock, so event times and elapsed times agree under a virtual clock too. */
  record<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<EventOf<T>, 't' | 'id' | 'at'>, at: number): Promise<void> {
    return this.append({ t, id, at, ...fields } as unknown as LedgerEvent);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    await this.refresh();
    return this.records.jobs.get(id);
  }

  async board(id: string): Promise<BoardRecord | undefined> {
    await this.refresh();
    return this.records.boards.get(id);
  }

  /** The jobs as last read, without reading the file again. */
  snapshot(): JobRecord[] {
    return [...this.records.jobs.values()];
  }

  /** Everything as last read: jobs, storyboards and submissions still in flight (or orphaned by a crash). */
  state(): Records {
    return this.records;
  }

  /** Newest first. */
  async list(): Promise<JobRecord[]> {
    await this.refresh();
    return [...this.records.jobs.values()].sort((a, b) => (b.submitted_at ?? b.updated_at) - (a.submitted_at ?? a.updated_at));
  }

  /** Newest first. */
  async boards(): Promise<BoardRecord[]> {
    await this.refresh();
    return [...this.records.boards.values()].sort((a, b) => b.created_at - a.created_at);
  }

  /** The jobs of one storyboard, oldest first (a shot submitted again has several). */
  jobsOf(boardId: string): JobRecord[] {
    return [...this.records.jobs.values()].filter((j) => j.board?.id === boardId).sort((a, b) => (a.submitted_at ?? 0) - (b.submitted_at ?? 0));
  }

  /** Reads what was appended since the last read (by this process or another). */
  refresh(): Promise<void> {
    // Serialised, so a caller never gets an earlier read that missed its own append.
    this.chain = this.chain.then(() => this.readNew()).catch((err: unknown) => this.log.warn(`ledger: could not read ${this.file}: ${(err as Error).message}`));
    return this.chain;
  }

  private async readNew(): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch {
      return;
    }
    const changed = new Set<string>();
    const initial = !this.loaded;
    this.loaded = true;
    try {
      const { size } = await handle.stat();
      if (size < this.offset) {
        // Replaced under us: start over.
        this.records.clear();
        this.offset = 0;
        this.lineNo = 0;
        this.tail = '';
      }
      if (size === this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      await handle.read(buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.tail + buf.toString('utf8');
      const lines = text.split('\n');
      this.tail = lines.pop() ?? '';
      for (const line of lines) {
        this.lineNo++;
        if (!line.trim()) continue;
        for (const id of this.apply(line)) changed.add(id);
      }
    } finally {
      await handle.close();
    }
    if (changed.size > 0) for (const fn of this.listeners) fn([...changed], initial);
  }

  private apply(line: string): string[] {
    let parsed: z.ZodSafeParseResult<LedgerEvent>;
    try {
      parsed = eventSchema.safeParse(JSON.parse(line));
    } catch {
      parsed = { success: false } as z.ZodSafeParseResult<LedgerEvent>;
    }
    if (!parsed.success) {
      this.log.warn(`ledger: skipping unreadable line ${this.lineNo} of ${this.file}.`);
      return [];
    }
    return this.records.apply(parsed.data);
  }
}
