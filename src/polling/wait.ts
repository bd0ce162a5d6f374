/**
 * Waits for a job: polls its status on the adaptive schedule until it ends (or
 * changes state), the wait budget runs out, or the client cancels the call.
 * Every snapshot goes to onSnapshot (the ledger) and to progress.
 */
import type { PollSettings } from '../config.js';
import { KlingError } from '../errors.js';
import { retryVerdictOf } from '../http/retry.js';
import type { RunComfyClient } from '../runcomfy/client.js';
import { isTerminal, phaseOf, type Phase } from '../runcomfy/schemas.js';
import type { Clock } from '../util/clock.js';
import { ProgressTracker, type ProgressSink } from './progress.js';
import { nextPollDelay } from './schedule.js';

export interface StatusSnapshot {
  status: string;
  phase: Phase;
  queuePosition?: number;
  at: number;
}

export interface WaitOptions {
  requestId: string;
  until: 'end' | 'change';
  budgetMs: number;
  expectedRunMs: number;
  /** When the job was submitted, if known: elapsed time and progress count from it. */
  since?: number;
  signal?: AbortSignal;
  progress?: ProgressSink;
  onSnapshot?: (snap: StatusSnapshot) => void | Promise<void>;
  onTransientError?: (err: unknown) => void;
}

export interface WaitOutcome {
  last: StatusSnapshot;
  /** The budget ran out before the job reached what we waited for. */
  timedOut: boolean;
  polls: number;
}

/** How long past its budget a wait lets one last status read finish. */
const READ_GRACE_MS = 3_000;

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

  async wait(o: WaitOptions): Promise<WaitOutcome> {
    const deadline = this.clock.now() + o.budgetMs;
    // A read that is still retrying when the budget ends is cut off, so the call answers in time.
    const budgetOver = AbortSignal.timeout(Math.ceil(o.budgetMs + READ_GRACE_MS));
    const readSignal = o.signal ? AbortSignal.any([o.signal, budgetOver]) : budgetOver;
    const tracker = new ProgressTracker(o.progress, o.since ?? this.clock.now(), o.expectedRunMs + this.settings.queueMinMs);
    let last: StatusSnapshot | undefined;
    let firstStatus: string | undefined;
    let lastError: unknown;
    let polls = 0;
    let pollsInPhase = 0;
    let runningSince: number | undefined;
    for (;;) {
      let snap: StatusSnapshot | undefined;
      try {
        polls++;
        snap = await this.snapshot(o.requestId, readSignal);
        await o.onSnapshot?.(snap);
      } catch (err) {
        if (budgetOver.aborted && !o.signal?.aborted) {
          if (last) return { last, timedOut: true, polls };
          throw new KlingError('upstream_unavailable', 'RunComfy did not answer a status request within this call\'s wait.', { retryable: true, requestId: o.requestId });
        }
        // The client already retried; an outage that outlasts it does not end the wait while budget remains.
        if (!retryVerdictOf(err).retry || this.clock.now() >= deadline) throw err;
        lastError = err;
        o.onTransientError?.(err);
      }
      if (snap) {
        if (!last) {
          runningSince = snap.phase === 'running' ? (o.since ?? snap.at) : undefined;
        } else {
          pollsInPhase = snap.phase === last.phase ? pollsInPhase + 1 : 0;
          // It started somewhere between the two polls; take the middle.
          if (snap.phase === 'running' && runningSince === undefined) runningSince = (last.at + snap.at) / 2;
        }
        firstStatus ??= snap.status;
        last = snap;
        await tracker.report(snap, isTerminal(snap.phase));
        if (isTerminal(snap.phase) || (o.until === 'change' && snap.status !== firstStatus)) return { last, timedOut: false, polls };
      }
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) {
        if (last) return { last, timedOut: true, polls };
        throw lastError;
      }
      const delay = last
        ? nextPollDelay(
            {
              phase: last.phase,
              pollsInPhase,
              runningForMs: runningSince === undefined ? 0 : this.clock.now() - runningSince,
              expectedRunMs: o.expectedRunMs,
              queuePosition: last.queuePosition,
            },
            this.settings,
          )
        : this.settings.queueMinMs;
      await this.clock.sleep(Math.min(delay, remaining), o.signal);
    }
  }
}
