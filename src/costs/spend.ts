/**
 * Expected spend, read from the ledger: what RunComfy charged where it said,
 * else what the job was expected to cost when it was submitted. Submissions in
 * flight and the unsubmitted shots of open storyboards count too, so a cap
 * holds while work is under way and across every process sharing the ledger.
 */
import { phaseOf } from '../jobs/phase.js';
import type { BoardRecord, JobRecord, PendingSubmission } from '../jobs/records.js';

/** The spend limit's rolling window. */
export const SPEND_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface SpendView {
  usd: number;
  /** Jobs (and reserved shots) counted. */
  jobs: number;
  /** Of those, how many had no known price (counted as $0). */
  unpriced: number;
}

interface SpendSources {
  jobs: Iterable<JobRecord>;
  pending: Iterable<PendingSubmission>;
  boards: Iterable<BoardRecord>;
}

/** A job's expected cost: RunComfy's charge when known; a job cancelled in the queue costs nothing. */
export function jobCostUsd(job: JobRecord): number | undefined {
  if (job.charged_usd !== undefined) return job.charged_usd;
  if (job.status && phaseOf(job.status) === 'cancelled') return 0;
  return job.estimate_usd;
}

export function spendSince(since: number, src: SpendSources): SpendView {
  const view: SpendView = { usd: 0, jobs: 0, unpriced: 0 };
  const add = (usd: number | undefined) => {
    view.jobs++;
    if (usd === undefined) view.unpriced++;
    else view.usd += usd;
  };
  const taken = new Set<string>();
  const shotKey = (b: { id: string; shot: number; cut?: number }) => `${b.id}#${b.cut ?? 1}#${b.shot}`;
  for (const job of src.jobs) {
    if (job.board) taken.add(shotKey(job.board));
    if ((job.submitted_at ?? -Infinity) >= since) add(jobCostUsd(job));
  }
  for (const p of src.pending) {
    if (p.board) taken.add(shotKey(p.board));
    if (p.at >= since) add(p.estimate_usd);
  }
  // A storyboard reserves the renders of its current cut until each is submitted (or the board is closed); a reused take costs nothing more.
  for (const board of src.boards) {
    if (board.created_at < since || board.closed) continue;
    board.shots.forEach((shot, i) => {
      if (shot.take !== undefined) return;
      const key = shotKey({ id: board.storyboard_id, ...(shot.slot ?? { cut: board.cut, shot: i + 1 }) });
      if (taken.has(key)) return;
      taken.add(key);
      add(shot.estimate_usd);
    });
  }
  view.usd = Math.round(view.usd * 1e6) / 1e6;
  return view;
}
