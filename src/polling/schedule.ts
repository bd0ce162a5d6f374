/**
 * When to ask for a job's status next. Pure, so it can be tested and
 * benchmarked on its own:
 * - queued: start at queueMinMs and back off ×1.5 to queueMaxMs (a long queue
 *   position goes straight to the cap);
 * - running: halve the distance to the expected finish, then poll every nearMs
 *   in a window around it, then step with a third of the overrun (up to maxMs) if the job runs long.
 */
import type { PollSettings } from '../config.js';
import type { Phase } from '../runcomfy/schemas.js';

export interface PollState {
  phase: Phase;
  /** Polls already made in the current phase. */
  pollsInPhase: number;
  /** Estimated time the job has been running (0 while queued). */
  runningForMs: number;
  expectedRunMs: number;
  queuePosition?: number;
}

/** How far before the expected finish dense polling starts, and how long past it it lasts. */
export const NEAR_BEFORE_MS = 3_000;
export const NEAR_AFTER_MS = 5_000;

export function nextPollDelay(s: PollState, cfg: PollSettings): number {
  if (s.phase === 'queued') {
    if (s.queuePosition !== undefined && s.queuePosition > 5) return cfg.queueMaxMs;
    return Math.min(cfg.queueMaxMs, cfg.queueMinMs * 1.5 ** s.pollsInPhase);
  }
  const remaining = s.expectedRunMs - s.runningForMs;
  if (remaining > NEAR_BEFORE_MS) {
    // Halve the distance to the dense window, so a job that ends early is still seen soon.
    return clamp((remaining - NEAR_BEFORE_MS) / 2, cfg.nearMs, cfg.maxMs);
  }
  if (remaining > -NEAR_AFTER_MS) return cfg.nearMs;
  // Overdue: the later the job, the less a second matters; step with a third of the overrun.
  return clamp((-remaining - NEAR_AFTER_MS) / 3, cfg.nearMs, cfg.maxMs);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
