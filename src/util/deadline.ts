/**
 * One tool call's time budget. It starts when the call starts and every step
 * (pre-flight, submission, waiting, saving) asks it what is left, so a call
 * answers before the client gives up however its time was spent.
 */
import type { Clock } from './clock.js';

/** Saving a result always gets at least this long, even when the wait used up the budget. */
export const MIN_SAVE_MS = 5_000;

export class Deadline {
  private readonly startedAt: number;

  constructor(
    private readonly clock: Clock,
    /** How long the call may wait for jobs; 0 = answer as soon as the work that cannot wait is done. */
    readonly budgetMs: number,
  ) {
    this.startedAt = clock.now();
  }

  elapsedMs(): number {
    return this.clock.now() - this.startedAt;
  }

  remainingMs(): number {
    return Math.max(0, this.budgetMs - this.elapsedMs());
  }

  /** True when the call was asked to wait and still has time to. */
  canWait(): boolean {
    return this.remainingMs() > 0;
  }

  /** Time for a step that must finish even when the wait is over (saving a result): what is left, but at least `floorMs`. */
  atLeast(floorMs: number): number {
    return Math.max(floorMs, this.remainingMs());
  }
}
