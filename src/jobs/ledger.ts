/**
 * The durable job ledger: one append-only JSON-lines file of events, fsynced
 * on every write. A crash can at worst cut the last line short (skipped and
 * reported on read); several server processes may append to the same file at
 * once, since each event is a single O_APPEND write.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { modelOutputSchema } from '../model/kling-o1.js';
import type { Logger } from '../util/log.js';

const inputSchema = z.object({
  prompt: z.string(),
  start_image_url: z.string(),
  end_image_url: z.string(),
  duration: z.number(),
});

const fileSchema = z.object({
  url: z.string(),
  path: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  mime: z.string(),
});
export type SavedFile = z.output<typeof fileSchema>;

const eventSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('submitted'), id: z.string(), at: z.number(), input: inputSchema }),
  z.object({ t: z.literal('submit_unknown'), id: z.string(), at: z.number(), input: inputSchema, error: z.string() }),
  z.object({ t: z.literal('state'), id: z.string(), at: z.number(), status: z.string(), queue_position: z.number().optional() }),
  z.object({ t: z.literal('output'), id: z.string(), at: z.number(), output: modelOutputSchema }),
  z.object({ t: z.literal('file'), id: z.string(), at: z.number(), file: fileSchema }),
  z.object({ t: z.literal('error'), id: z.string(), at: z.number(), code: z.string(), message: z.string() }),
]);
export type LedgerEvent = z.output<typeof eventSchema>;
type EventOf<T extends LedgerEvent['t']> = Extract<LedgerEvent, { t: T }>;

export interface JobRecord {
  request_id: string;
  submitted_at?: number;
  input?: z.output<typeof inputSchema>;
  /** The submission's outcome is unknown (no request_id came back); `request_id` is a local id. */
  outcome_unknown?: boolean;
  states: { status: string; at: number; queue_position?: number }[];
  status?: string;
  output?: z.output<typeof modelOutputSchema>;
  files: SavedFile[];
  errors: { code: string; message: string; at: number }[];
  updated_at: number;
}

export const LEDGER_FILE = 'jobs.jsonl';

export class Ledger {
  private readonly file: string;
  private readonly jobs = new Map<string, JobRecord>();
  private offset = 0;
  private lineNo = 0;
  private tail = '';
  private chain: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(ids: string[]) => void>();

  constructor(
    readonly dir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dir, LEDGER_FILE);
  }

  /** Creates the directory, reports foreign files, seals a torn last line, and loads what is there. */
  async open(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const name of await fs.readdir(this.dir)) {
      if (name !== LEDGER_FILE) this.log.warn(`ledger: ignoring ${path.join(this.dir, name)}, which is not kling-o1-mcp's.`);
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

  /** Adds listeners told which job ids changed (for resource notifications). */
  onChange(fn: (ids: string[]) => void): () => void {
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

  record<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<EventOf<T>, 't' | 'id' | 'at'>, at = Date.now()): Promise<void> {
    return this.append({ t, id, at, ...fields } as unknown as LedgerEvent);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    await this.refresh();
    return this.jobs.get(id);
  }

  /** The jobs as last read, without reading the file again. */
  snapshot(): JobRecord[] {
    return [...this.jobs.values()];
  }

  /** Newest first. */
  async list(): Promise<JobRecord[]> {
    await this.refresh();
    return [...this.jobs.values()].sort((a, b) => (b.submitted_at ?? b.updated_at) - (a.submitted_at ?? a.updated_at));
  }

  /** Reads what was appended since the last read (by this process or another). */
  refresh(): Promise<void> {
    // Serialised, so a caller never gets an earlier read that missed its own append.
    this.chain = this.chain
      .then(() => this.readNew())
      .catch((err: unknown) => this.log.warn(`ledger: could not read ${this.file}: ${(err as Error).message}`));
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
    try {
      const { size } = await handle.stat();
      if (size < this.offset) {
        // Replaced under us: start over.
        this.jobs.clear();
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
        const id = this.apply(line);
        if (id) changed.add(id);
      }
    } finally {
      await handle.close();
    }
    if (changed.size > 0) for (const fn of this.listeners) fn([...changed]);
  }

  private apply(line: string): string | undefined {
    let parsed: z.ZodSafeParseResult<LedgerEvent>;
    try {
      parsed = eventSchema.safeParse(JSON.parse(line));
    } catch {
      parsed = { success: false } as z.ZodSafeParseResult<LedgerEvent>;
    }
    if (!parsed.success) {
      this.log.warn(`ledger: skipping unreadable line ${this.lineNo} of ${this.file}.`);
      return undefined;
    }
    const e = parsed.data;
    const job: JobRecord = this.jobs.get(e.id) ?? { request_id: e.id, states: [], files: [], errors: [], updated_at: e.at };
    job.updated_at = Math.max(job.updated_at, e.at);
    switch (e.t) {
      case 'submitted':
      case 'submit_unknown':
        job.submitted_at = e.at;
        job.input = e.input;
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
    }
    this.jobs.set(e.id, job);
    return e.id;
  }
}
