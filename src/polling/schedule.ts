/**
 * When to ask for a job's status next. Pure, so it can be tested and
 * benchmarked on its own. The promise: a job whose run time T is anywhere from
 * a quarter to four times the expectation E is seen done within
 * max(nearMs, 10 % of T), and one that ends near E within about half its
 * distance from E (nearMs at the least).
 * - running: each poll at most 10 % of the run time so far after the last
 *   (geometric spacing; a run younger than E/4 counts as E/4), and at half the
 *   distance to the expected finish when that is sooner; never closer than nearMs;
 * - queued: back off ×1.5 from queueMinMs, never beyond queueMaxMs, and never
 *   so far apart that a job started and ended between two polls would be seen late.
 * The run time here is the least the job can have run (since it was first seen
 * running), so an unseen start can only make the real lag smaller than promised.
 */
import type { PollSettings } from '../config.js';
import type { Phase } from '../jobs/phase.js';
import { runTime, type JobTimeline } from './timeline.js';

export interface PollState {
  phase: Phase;
  /** Polls already made in the current phase. */
  pollsInPhase: number;
  /** The least time the job can have been running: since it was first seen running (0 while queued). */
  runningForMs: number;
  /** How much earlier it may have started: from the last sighting queued to the first running. */
  startSlackMs: number;
  expectedRunMs: number;
  queuePosition?: number;
}

/** Each poll at most this fraction of the run time after the previous one. */
const LAG_FRACTION = 0.1;
/** Run times below this fraction of the expectation carry no lag promise; the schedule is sparser there. */
const SHORTEST_RUN = 0.25;

/** The delay before the next poll of a job seen so far as `tl` (the first poll of a wait counts as queued). */
export function delayAfter(tl: JobTimeline, expectedRunMs: number, now: number, cfg: PollSettings): number {
  if (!tl.last) return cfg.queueMinMs;
  const run = runTime(tl, now);
  return nextPollDelay(
    {
      phase: tl.last.phase,
      pollsInPhase: tl.pollsInPhase,
      runningForMs: run.leastMs,
      startSlackMs: run.slackMs,
      expectedRunMs,
      queuePosition: tl.last.queuePosition,
    },
    cfg,
  );
}

export function nextPollDelay(s: PollState, cfg: PollSettings): number {
  return s.phase === 'queued' ? queuedDelay(s, cfg) : runningDelay(s, cfg);
}

function queuedDelay(s: PollState, cfg: PollSettings): number {
  // A job may start and end between two queue polls: keep them close enough for the shortest promised run.
  const cap = Math.min(cfg.queueMaxMs, Math.max(cfg.nearMs, (1 + LAG_FRACTION) * SHORTEST_RUN * s.expectedRunMs));
  if (s.queuePosition !== undefined && s.queuePosition > 5) return cap;
  return Math.min(cap, cfg.queueMinMs * 1.5 ** s.pollsInPhase);
}

function runningDelay(s: PollState, cfg: PollSettings): number {
  const t = s.runningForMs;
  const shortest = SHORTEST_RUN * s.expectedRunMs;
  // The promise: a finish at run time T ≥ E/4 is seen by T + 10 % of T. The job may be up to startSlackMs older
  // than t, so such a finish can come from t = E/4 − slack on; until then the polls may stand further apart.
  const promised = Math.max(0, shortest - s.startSlackMs - t) + LAG_FRACTION * Math.max(t, shortest);
  // Beyond the promise, one look at E/8, so a very early finish does not wait for the whole of E/4.
  const early = t < shortest / 2 ? shortest / 2 - t : Infinity;
  // Near the expected finish: half the distance to it, closing in before and backing off after, so most jobs are
  // seen within about nearMs. Measured from the first sighting running, as the run times it learns from are.
  const near = Math.abs(s.expectedRunMs - t) / 2;
  return Math.max(cfg.nearMs, Math.min(promised, early, near, cfg.maxMs));
}
