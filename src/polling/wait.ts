/**
 * Waits for a job: polls its status on the adaptive schedule until it ends (or
 * changes state), the wait budget runs out, or the client cancels the call.
 * Every snapshot goes to onSnapshot (the ledger); progress goes out on every
 * snapshot and on the heartbeat between them.
 */
import type { PollSettings } from '../config.js';
import { KlingError } from '../errors.js';
import { retryVerdictOf } from '../http/retry.js';
import type { RunComfyClient } from '../runcomfy/client.js';
import { isTerminal, phaseOf } from '../jobs/phase.js';
import { timeoutOn, type Clock } from '../util/clock.js';
import { jobProgress, ProgressReporter, type ProgressSink } from './progress.js';
import { delayAfter } from './schedule.js';
import { sight, startTimeline, type JobTimeline, type StatusSnapshot } from './timeline.js';

export interface WaitOptions {
  requestId: string;
  until: 'end' | 'change';
  budgetMs: number;
  expectedRunMs: number;
  /** When the job was submitted, if known: elapsed time and progress count from it. */
  since?: number;
  /** Earlier snapshots (the ledger's), which bound when the job started running. */
  earlier?: StatusSnapshot[];
  signal?: AbortSignal;
  progress?: ProgressSink;
  onSnapshot?: (snap: StatusSnapshot) => void | Promise<void>;
  onTransientError?: (err: unknown) => void;
}

export interface WaitOutcome {
  last: StatusSnapshot;
  /** The budget ran out before the job reached what we waited for. */
  timedOut: boolean;
}

/** How long past its budget a wait lets one last status read finish. */
const READ_GRACE_MS = 3_000;

/** One status read of a wait: a snapshot, an upstream error the wait outlives, or the end of the budget. */
type Read = { snap: StatusSnapshot } | { error: unknown } | 'budget over';

export class Waiter {
  constructor(
    private readonly client: RunComfyClient,
    private readonly clock: Clock,
    private readonly settings: PollSettings,
  ) {}

  async snapshot(requestId: string, signal?: AbortSignal): Promise<StatusSnapshot> {
    const res = await this.client.status(requestId, signal);
    return { status: res.status, phase: phaseOf(res.status), queuePosition: res.queue_position, at: this.clock.now() };
  }

  async wait(job: WaitOptions): Promise<WaitOutcome> {
    const deadline = this.clock.now() + job.budgetMs;
    // A read that is still retrying when the budget ends is cut off, so the call answers in time.
    const budget = timeoutOn(this.clock, job.budgetMs + READ_GRACE_MS);
    // A submission time ahead of this clock (another process's) would make elapsed times negative.
    let timeline = startTimeline(Math.min(job.since ?? Infinity, this.clock.now()), job.earlier);
    const expected = { queueMs: this.settings.queueMinMs, runMs: job.expectedRunMs };
    const reporter = job.progress && new ProgressReporter(job.progress, this.clock, () => jobProgress(timeline, expected, this.clock.now()));
    let lastError: unknown;
    try {
      for (;;) {
        const read = await this.read(job, budget.signal, deadline);
        if (read === 'budget over') return timedOut(timeline, unanswered(job.requestId));
        if ('error' in read) lastError = read.error;
        else {
          timeline = sight(timeline, read.snap);
          await reporter?.report();
          if (reached(job.until, timeline)) return { last: read.snap, timedOut: false };
        }
        const remaining = deadline - this.clock.now();
        if (remaining <= 0) return timedOut(timeline, lastError);
        await this.clock.sleep(Math.min(delayAfter(timeline, job.expectedRunMs, this.clock.now(), this.settings), remaining), job.signal);
      }
    } finally {
      budget.stop();
      reporter?.stop();
    }
  }

  /** Reads the status once. An error the client already retried does not end the wait while budget remains. */
  private async read(job: WaitOptions, budgetOver: AbortSignal, deadline: number): Promise<Read> {
    try {
      const snap = await this.snapshot(job.requestId, job.signal ? AbortSignal.any([job.signal, budgetOver]) : budgetOver);
      await job.onSnapshot?.(snap);
      return { snap };
    } catch (err) {
      if (budgetOver.aborted && !job.signal?.aborted) return 'budget over';
      if (!retryVerdictOf(err).retry || this.clock.now() >= deadline) throw err;
      job.onTransientError?.(err);
      return { error: err };
    }
  }
}

/** The job ended, or (when waiting for a change) its status is no longer the one this wait first saw. */
function reached(until: WaitOptions['until'], tl: JobTimeline): boolean {
  const { first, last } = tl;
  return !!last && (isTerminal(last.phase) || (until === 'change' && last.status !== first?.status));
}

/** The budget ran out: the last status is the answer, or, when none came, the error that kept it away. */
function timedOut(tl: JobTimeline, error: unknown): WaitOutcome {
  if (!tl.last) throw error;
  return { last: tl.last, timedOut: true };
}

function unanswered(requestId: string): KlingError {
  return new KlingError('upstream_unavailable', "RunComfy did not answer a status request within this call's wait.", { retryable: true, requestId });
}
