/**
 * Expected spend: what RunComfy charged where it said, else what the job was
 * expected to cost when it was submitted. Submissions in flight and the
 * unsubmitted shots of open storyboards count too, so a cap holds while work
 * is under way and across every process sharing the ledger. Pure: the ledger
 * reads the sources through its indexes (ledger/store.ts#spendSources), with
 * each job's cost as ledger/records.ts#jobCostUsd makes it.
 */

import { renderSlots } from '../ledger/records.js';

/** The spend limit's rolling window. */
export const SPEND_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface SpendView {
  usd: number;
  /** Jobs (and reserved shots) counted. */
  jobs: number;
  /** Of those, how many had no known price (counted as $0). */
  unpriced: number;
}

interface ShotRef {
  id: string;
  shot: number;
  /** Cut 1 when absent. */
  cut?: number;
}
export interface SpendPending {
  at: number;
  estimate_usd?: number;
  board?: ShotRef;
}
export interface SpendBoard {
  storyboard_id: string;
  created_at: number;
  closed?: unknown;
  /** The current cut (1 when absent). */
  cut?: number;
  shots: Parameters<typeof renderSlots>[0]['shots'];
}

export interface SpendSources {
  /** What the jobs submitted in the window cost, summed. */
  jobs: SpendView;
  /** Every submission in flight (it also holds its shot). */
  pending: Iterable<SpendPending>;
  /** Open storyboards that may still reserve shots, each with the shots its jobs took. */
  boards: Iterable<{ board: SpendBoard; jobs: Iterable<{ board?: ShotRef }> }>;
}

export function spendSince(since: number, src: SpendSources): SpendView {
  const view: SpendView = { ...src.jobs };
  const add = (usd: number | undefined) => {
    view.jobs++;
    if (usd === undefined) view.unpriced++;
    else view.usd += usd;
  };
  const taken = new Set<string>();
  const shotKey = (b: ShotRef) => `${b.id}#${b.cut ?? 1}#${b.shot}`;
  for (const p of src.pending) {
    if (p.board) taken.add(shotKey(p.board));
    if (p.at >= since) add(p.estimate_usd);
  }
  // A storyboard reserves the renders of its current cut until each is submitted (or the board is closed); a reused take costs nothing more.
  for (const { board, jobs } of src.boards) {
    if (board.created_at < since || board.closed) continue;
    for (const job of jobs) if (job.board) taken.add(shotKey(job.board));
    for (const slot of renderSlots({ cut: board.cut ?? 1, shots: board.shots })) {
      if (!taken.has(shotKey({ id: board.storyboard_id, ...slot }))) add(slot.estimate_usd);
    }
  }
  view.usd = Math.round(view.usd * 1e6) / 1e6;
  return view;
}

/** The expected spend over the rolling window ending `now`, as the spend limit counts it, read from a ledger's sources. */
export async function spendInWindow(ledger: { spendSources(since: number): Promise<SpendSources> }, now: number): Promise<SpendView> {
  const since = now - SPEND_WINDOW_MS;
  return spendSince(since, await ledger.spendSources(since));
}
