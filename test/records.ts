/** Ledger records for pure unit tests, folded from events the way the ledger folds its lines: no file, no server. */
import { spendSince, type SpendView } from '../src/costs/spend.js';
import { Records } from '../src/ledger/events.js';
import { jobCostUsd, type BoardRecord, type BoardSlice, type JobRecord, type LedgerEvent, type RecordedInput } from '../src/ledger/records.js';

export const T0 = Date.UTC(2026, 0, 1, 12);
export const at = (s: number) => T0 + s * 1000;

export function input(prompt = 'a red door opens', duration = 5): RecordedInput {
  return { prompt, start_image_url: 'https://img.example/start.png', end_image_url: 'https://img.example/end.png', duration };
}

export function fold(events: LedgerEvent[]): Records {
  const records = new Records();
  for (const e of events) records.apply(e);
  return records;
}

/** One job from its events; `id` is filled in. */
export function job(id: string, events: DistributiveOmit<LedgerEvent, 'id'>[]): JobRecord {
  const record = fold(events.map((e) => ({ ...e, id }) as LedgerEvent)).jobs.get(id);
  if (!record) throw new Error(`no job ${id} in those events`);
  return record;
}

export function board(records: Records, id: string): BoardRecord {
  const record = records.boards.get(id);
  if (!record) throw new Error(`no storyboard ${id} in those events`);
  return record;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One board with its jobs (oldest first) and submissions in flight, as the ledger's slice query returns it. */
export function slice(records: Records, id: string): BoardSlice {
  const jobs = [...records.jobs.values()].filter((j) => j.board?.id === id).sort((a, b) => (a.submitted_at ?? 0) - (b.submitted_at ?? 0));
  return { board: board(records, id), jobs, pending: [...records.pending.values()].filter((p) => p.board?.id === id) };
}

/** The spend of folded records, its sources made the way the ledger's queries make them (ledger/store.ts#spendSources). */
export function spendOf(r: Records, since: number): SpendView {
  const costs = [...r.jobs.values()].filter((j) => (j.submitted_at ?? -Infinity) >= since).map(jobCostUsd);
  const jobs = { usd: costs.reduce((a: number, c) => a + (c ?? 0), 0), jobs: costs.length, unpriced: costs.filter((c) => c === undefined).length };
  return spendSince(since, { jobs, pending: r.pending.values(), boards: [...r.boards.keys()].map((id) => slice(r, id)) });
}
