/**
 * The ledger before it was a database: one JSON line per event in jobs.jsonl.
 * Read once, when ledger.db is created, inside the transaction that creates it;
 * the file itself is left as it is. A torn or unreadable line is reported and
 * skipped, as that ledger's own reader did. A history of years is read and
 * stored a piece at a time, so importing it takes no more memory than a day's.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '../../util/log.js';
import { eventSchema, Records, type LedgerEvent } from '../events.js';
import type { Rows } from './rows.js';

export const LEGACY_FILE = 'jobs.jsonl';

const READ_BYTES = 1 << 20;
/** Events written to the audit trail at once. */
const EVENTS_PER_WRITE = 2_000;
/** Folded jobs held before they are written out; a later event of one is folded onto its stored row. */
const JOBS_HELD = 1_000;

/** The events of a jobs.jsonl, in order, read a megabyte at a time; unreadable lines reported by number and skipped. */
export function* readLegacy(file: string, log: Logger): Generator<LedgerEvent> {
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.alloc(READ_BYTES);
    let rest = '';
    let lineNo = 0;
    const parse = (line: string): LedgerEvent | undefined => {
      lineNo++;
      if (!line.trim()) return undefined;
      let parsed: ReturnType<typeof eventSchema.safeParse> | undefined;
      try {
        parsed = eventSchema.safeParse(JSON.parse(line));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) return parsed.data;
      log.warn(`ledger: skipping unreadable line ${lineNo} of ${file}.`);
      return undefined;
    };
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      const lines = (rest + decoder.write(buffer.subarray(0, n))).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const e = parse(line);
        if (e) yield e;
      }
    }
    const last = parse(rest + decoder.end());
    if (last) yield last;
  } finally {
    closeSync(fd);
  }
}

/**
 * Stores a whole history at once: every event in the audit trail, and the
 * records folded in memory, each written once per batch (not once per event).
 * Jobs are written out every JOBS_HELD; boards and submissions in flight, which
 * are few, at the end. The caller holds the transaction.
 */
export function importEvents(rows: Rows, events: Iterable<LedgerEvent>): number {
  const written = new Set<string>();
  const records = new Records((id) => (written.has(id) ? rows.job(id) : undefined));
  const batch: LedgerEvent[] = [];
  let seq = 0;
  const writeJobs = () => {
    rows.putJobs([...records.jobs.values()], seq);
    for (const id of records.jobs.keys()) written.add(id);
    records.jobs.clear();
  };
  for (const e of events) {
    seq++;
    records.apply(e);
    batch.push(e);
    if (batch.length === EVENTS_PER_WRITE) {
      rows.appendAll(batch);
      batch.length = 0;
    }
    if (records.jobs.size >= JOBS_HELD) writeJobs();
  }
  rows.appendAll(batch);
  writeJobs();
  rows.recountTotals();
  for (const p of records.pending.values()) rows.putPending(p);
  // After the jobs and submissions, so each board counts the shots they took.
  for (const board of records.boards.values()) rows.putBoard(board, seq);
  return seq;
}
