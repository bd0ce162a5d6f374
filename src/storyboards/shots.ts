/**
 * Where each shot of a storyboard's current cut stands, derived from the
 * ledger: the take it shows (a reused one, or the newest job of its render
 * slot), a submission in flight, or nothing yet. Pure, so every process and
 * tool sees the same board.
 */
import { jobPhase, type BoardRecord, type BoardSlice, type CutShot, type JobRecord, type PendingSubmission } from '../ledger/records.js';
import type { Phase } from '../jobs/phase.js';
import { writerAlive } from '../util/process-instance.js';
import { boardTakes, fingerprint, sameSlot, slotOf, type Slot, type Take } from './takes.js';

export type ShotPhase = Phase | 'not_submitted' | 'submitting' | 'outcome_unknown';

export interface ShotState {
  /** 1-based, in film order. */
  index: number;
  phase: ShotPhase;
  job?: JobRecord;
  /** The take number of `job`. */
  take?: number;
  /** The shot shows a take made before this cut (and nothing of its own replaced it). */
  reused: boolean;
  /** Where a new submission for this shot goes (resubmitting a failed one, or a render still to send). */
  slot: Slot;
  pending?: PendingSubmission;
  /** Earlier jobs of this shot (failed or cancelled ones it replaced). */
  earlier: JobRecord[];
  /** Every take of the board with this shot's inputs, and those of its slot, oldest first. */
  takes: Take[];
}

/** Whether the process that recorded a pending submission is still alive (the ledger is local to this machine). */
export type IsAlive = (p: PendingSubmission) => boolean;

export const processAlive: IsAlive = writerAlive;

/** The render slot a shot's new submissions go to: its shared one, else its own. A reused take's own slot replaces it. */
export const targetSlot = (shot: CutShot, cut: number, index: number): Slot => (shot.take === undefined && shot.slot) || { cut, shot: index };

/** Each shot of the slice's board (as of the cut it shows: see ledger/records.ts#atCut), from its jobs and its submissions in flight. */
export function shotStates(slice: BoardSlice, isAlive: IsAlive): ShotState[] {
  const { board } = slice;
  const takes = boardTakes(slice.jobs);
  return board.shots.map((shot, i) => {
    const index = i + 1;
    const slot = targetSlot(shot, board.cut, index);
    const own = takes.filter((t) => t.job.board && sameSlot(slotOf(t.job.board), slot));
    const pinned = shot.take === undefined ? undefined : takes.find((t) => t.take === shot.take);
    const alike = takes.filter((t) => t.job.input && fingerprint(t.job.input) === fingerprint(shot));
    const related = [...new Set([...alike, ...own])].sort((a, b) => a.take - b.take);
    const inFlight = slice.pending.find((p) => p.board && sameSlot(slotOf(p.board), slot));
    // A reused take stands until this shot's own slot has a job (it was resubmitted after the take failed).
    const current = own.at(-1) ?? pinned;
    const earlier = [...(pinned && own.length > 0 ? [pinned] : []), ...own.slice(0, -1)].map((t) => t.job);
    const reused = current !== undefined && (current === pinned || slot.cut !== board.cut);
    const base = { index, slot, earlier, takes: related, reused, ...(current && { job: current.job, take: current.take }) };
    // A submission in flight is newer than any job of the shot (it replaces a failed one).
    if (inFlight) return { ...base, reused: false, phase: isAlive(inFlight) ? 'submitting' : 'outcome_unknown', pending: inFlight };
    if (!current) return { ...base, phase: 'not_submitted' };
    return { ...base, phase: jobPhase(current.job) };
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
