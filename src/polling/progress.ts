/**
 * Progress of a call that waits for jobs, in two parts kept apart so a call
 * waiting for several jobs can combine them:
 * - jobProgress: one job's fraction done and a line about it, from what has
 *   been seen of it and the clock alone (no upstream request);
 * - ProgressReporter: sends a call's progress as MCP notifications whose value
 *   strictly increases, as the spec requires, on every new fact and at least
 *   every heartbeatMs in between, until stopped.
 */
import type { Clock } from '../util/clock.js';
import { isTerminal } from '../jobs/phase.js';
import { runTime, type JobTimeline } from './timeline.js';

export interface ProgressUpdate {
  progress: number;
  total: number;
  message: string;
}

export type ProgressSink = (p: ProgressUpdate) => void | Promise<void>;

export interface ProgressEstimate {
  /** 0..1; 1 only once the work is done. */
  fraction: number;
  message: string;
}

/** Some clients reset their timeouts on progress, and people watch the bar: never silent longer than this. */
export const HEARTBEAT_MS = 5_000;

/** Share of the bar a job fills while queued; the rest is its run. */
const QUEUED_SHARE = 0.05;
/** Share of the run filled at the expected finish; a longer run creeps on toward 1 without reaching it. */
const AT_EXPECTED = 0.9;

/** One job's progress at `now`. `expectedQueueMs` paces the queued share; `expectedRunMs` the run. */
export function jobProgress(tl: JobTimeline, expected: { queueMs: number; runMs: number }, now: number): ProgressEstimate {
  const elapsed = `${Math.round(Math.max(0, now - tl.since) / 1000)} s elapsed`;
  const last = tl.last;
  if (!last) return { fraction: 0, message: `waiting for the first status · ${elapsed}` };
  if (isTerminal(last.phase)) return { fraction: 1, message: `${last.status} · ${elapsed}` };
  if (last.phase === 'queued') {
    const where = last.queuePosition !== undefined ? ` (queue position ${last.queuePosition})` : '';
    const queuedFor = Math.max(0, now - tl.since);
    return { fraction: QUEUED_SHARE * (1 - Math.exp(-queuedFor / Math.max(1, expected.queueMs))), message: `${last.status}${where} · ${elapsed}` };
  }
  const run = runTime(tl, now);
  // The best guess of the run so far: its start is taken in the middle of what is known.
  const ran = run.leastMs + run.slackMs / 2;
  const x = ran / Math.max(1, expected.runMs);
  const share = x <= 1 ? AT_EXPECTED * x : 1 - (1 - AT_EXPECTED) / x;
  const left = expected.runMs - ran;
  const outlook = left >= 1000 ? `about ${Math.round(left / 1000)} s left` : `longer than the usual ${Math.round(expected.runMs / 1000)} s`;
  return { fraction: QUEUED_SHARE + (1 - QUEUED_SHARE) * share, message: `${last.status} · ${elapsed}, ${outlook}` };
}

export class ProgressReporter {
  private last = 0;
  private stopped = false;
  private cancelHeartbeat: (() => void) | undefined;

  /**
   * The heartbeat runs from here until stop(). estimate is read at every report
   * and heartbeat, so elapsed time moves on without new facts.
   */
  constructor(
    private readonly sink: ProgressSink,
    private readonly clock: Clock,
    private readonly estimate: () => ProgressEstimate,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {
    this.arm();
  }

  /** Sends the progress now and arms the heartbeat, which sends it again after heartbeatMs unless report() comes sooner. */
  async report(): Promise<void> {
    if (this.stopped) return;
    const { fraction, message } = this.estimate();
    const progress = this.next(fraction);
    this.last = progress;
    // Once at 100 there is nothing left to say.
    if (progress >= 100) this.stop();
    else this.arm();
    await this.sink({ progress, total: 100, message });
  }

  /** No notification after this: call it before the call answers, or when it is cancelled. */
  stop(): void {
    this.stopped = true;
    this.cancelHeartbeat?.();
  }

  private arm(): void {
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = this.clock.after(this.heartbeatMs, () => void this.report());
  }

  /** The estimate as a value above the last one (a sliver above when the estimate stands still); 100 only when done. */
  private next(fraction: number): number {
    if (fraction >= 1) return 100;
    const value = Math.min(99.99, Math.round(Math.max(0, fraction) * 10_000) / 100);
    return value > this.last ? value : this.last + (100 - this.last) / 1000;
  }
}
