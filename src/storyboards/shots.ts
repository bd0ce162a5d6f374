/**
 * Where each shot of a storyboard stands, derived from the ledger: its
 * current job (the newest, when a shot was submitted again), a submission in
 * flight, or nothing yet. Pure, so every process and tool sees the same board.
 */
import type { BoardRecord, JobRecord, PendingSubmission, Records } from '../jobs/records.js';
import { jobPhase } from '../jobs/summary.js';
import type { Phase } from '../jobs/phase.js';
import { isProcessAlive } from '../util/process-instance.js';

export type ShotPhase = Phase | 'not_submitted' | 'submitting' | 'outcome_unknown';

export interface ShotState {
  /** 1-based, in film order. */
  index: number;
  phase: ShotPhase;
  job?: JobRecord;
  pending?: PendingSubmission;
  /** Earlier jobs of this shot (failed or cancelled ones it replaced). */
  earlier: JobRecord[];
}

/** Whether the process that recorded a pending submission is still alive (the ledger is local to this machine). */
export type IsAlive = (p: PendingSubmission) => boolean;

export function processAlive(p: PendingSubmission): boolean {
  return p.pid === undefined || isProcessAlive(p.pid, p.instance);
}

export function shotStates(board: BoardRecord, records: Records, isAlive: IsAlive): ShotState[] {
  const jobs = [...records.jobs.values()].filter((j) => j.board?.id === board.storyboard_id).sort((a, b) => (a.submitted_at ?? 0) - (b.submitted_at ?? 0));
  const pending = [...records.pending.values()].filter((p) => p.board?.id === board.storyboard_id);
  return board.shots.map((_, i) => {
    const index = i + 1;
    const mine = jobs.filter((j) => j.board!.shot === index);
    const job = mine.at(-1);
    const inFlight = pending.find((p) => p.board!.shot === index);
    const earlier = mine.slice(0, -1);
    // A submission in flight is newer than any job of the shot (it replaces a failed one).
    if (inFlight) return { index, phase: isAlive(inFlight) ? 'submitting' : 'outcome_unknown', pending: inFlight, job, earlier };
    if (!job) return { index, phase: 'not_submitted', earlier };
    return { index, phase: jobPhase(job), job, earlier };
  });
}

export type BoardStatus = 'planned' | 'running' | 'completed' | 'needs_attention' | 'cancelled';

export function boardStatus(board: BoardRecord, shots: ShotState[]): BoardStatus {
  if (shots.every((s) => s.phase === 'completed')) return 'completed';
  const active = shots.some((s) => s.phase === 'queued' || s.phase === 'running' || s.phase === 'submitting');
  if (active) return 'running';
  if (board.closed) return 'cancelled';
  if (shots.some((s) => s.phase === 'not_submitted')) return 'planned';
  return 'needs_attention';
}
