/**
 * The ledger before it was a database: one JSON line per event in jobs.jsonl.
 * Read once, when ledger.db is created, inside the transaction that creates it;
 * the file itself is left as it is. A torn or unreadable line is reported and
 * skipped, as that ledger's own reader did.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from '../util/log.js';
import type { Rows } from './ledger-rows.js';
import { eventSchema, Records, type LedgerEvent } from './records.js';

export const LEGACY_FILE = 'jobs.jsonl';

/** The events of a jobs.jsonl, in order; unreadable lines reported by number and skipped. */
export function readLegacy(file: string, log: Logger): LedgerEvent[] {
  if (!existsSync(file)) return [];
  const events: LedgerEvent[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let parsed: ReturnType<typeof eventSchema.safeParse> | undefined;
      try {
        parsed = eventSchema.safeParse(JSON.parse(line));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) events.push(parsed.data);
      else log.warn(`ledger: skipping unreadable line ${i + 1} of ${file}.`);
    });
  return events;
}

/**
 * Stores a whole history at once: every event in the audit trail, and the
 * records folded in memory, each written once (not once per event). The
 * caller holds the transaction.
 */
export function importEvents(rows: Rows, events: Iterable<LedgerEvent>): number {
  const records = new Records();
  const all: LedgerEvent[] = [];
  for (const e of events) {
    records.apply(e);
    all.push(e);
  }
  rows.appendAll(all);
  const seq = all.length;
  rows.putJobs([...records.jobs.values()], seq);
  for (const p of records.pending.values()) rows.putPending(p);
  // After the jobs and submissions, so each board counts the shots they took.
  for (const board of records.boards.values()) rows.putBoard(board, seq);
  return all.length;
}
