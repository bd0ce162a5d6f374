/**
 * What has been seen of one job: its latest status, and the bounds on when it
 * started running. Pure, so the schedule, progress and their tests all read
 * the same facts the waiter keeps.
 */
import { type Phase } from '../jobs/phase.js';

export interface StatusSnapshot {
  status: string;
  phase: Phase;
  queuePosition?: number;
  at: number;
}

export interface JobTimeline {
  /** When the job's clock started: its submission when known, else when this wait began. */
  since: number;
  /** The first and the latest snapshot of this wait; undefined before its first answer. */
  first?: StatusSnapshot;
  last?: StatusSnapshot;
  /** Snapshots of this wait in a row in the same phase as `last`, minus one. */
  pollsInPhase: number;
  /** The latest moment it was known not to have started: submitted, or seen queued. */
  queuedAt?: number;
  /** The first moment it was seen running (or past it). */
  runningAt?: number;
}

/**
 * A timeline for a new wait: what earlier sightings (from the ledger) say of
 * the start is kept; they are not this wait's snapshots.
 */
export function startTimeline(since: number, earlier: StatusSnapshot[] = []): JobTimeline {
  const seen = earlier.reduce(sight, { since, pollsInPhase: 0, queuedAt: since });
  return { since, pollsInPhase: 0, queuedAt: seen.queuedAt, runningAt: seen.runningAt };
}

export function sight(tl: JobTimeline, snap: StatusSnapshot): JobTimeline {
  const queued = snap.phase === 'queued';
  return {
    since: tl.since,
    first: tl.first ?? snap,
    last: snap,
    pollsInPhase: tl.last?.phase === snap.phase ? tl.pollsInPhase + 1 : 0,
    queuedAt: queued ? Math.max(snap.at, tl.queuedAt ?? snap.at) : tl.queuedAt,
    runningAt: queued ? tl.runningAt : (tl.runningAt ?? snap.at),
  };
}

/** How long the job has been running at `now`: at least leastMs, and it may have started up to slackMs before that. */
export function runTime(tl: JobTimeline, now: number): { leastMs: number; slackMs: number } {
  if (tl.runningAt === undefined) return { leastMs: 0, slackMs: 0 };
  return {
    leastMs: Math.max(0, now - tl.runningAt),
    slackMs: tl.queuedAt === undefined ? 0 : Math.max(0, tl.runningAt - tl.queuedAt),
  };
}
