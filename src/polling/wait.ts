/**
 * Waits for a job: polls its status on the adaptive schedule until it ends (or
 * changes state), the wait budget runs out, or the client cancels the call.
 * Every snapshot goes to onSnapshot (the ledger) and to progress.
 */
import type { PollSettings } from '../config.js';
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
}

export interface WaitOutcome {
  last: StatusSnapshot;
  /** The budget ran out before the job reached what we waited for. */
  timedOut: boolean;
  polls: number;
}

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
    const start = this.clock.now();
    const deadline = start + o.budgetMs;
    const tracker = new ProgressTracker(o.progress, o.since ?? start, o.expectedRunMs + this.settings.queueMinMs);
    let polls = 0;
    const poll = async () => {
      polls++;
      const snap = await this.snapshot(o.requestId, o.signal);
      await o.onSnapshot?.(snap);
      return snap;
    };
    const first = await poll();
    let last = first;
    let pollsInPhase = 0;
    let runningSince: number | undefined = first.phase === 'running' ? (o.since ?? first.at) : undefined;
    const reached = (s: StatusSnapshot) => isTerminal(s.phase) || (o.until === 'change' && s.status !== first.status);
    await tracker.report(last, isTerminal(last.phase));
    while (!reached(last)) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) return { last, timedOut: true, polls };
      const delay = nextPollDelay(
        {
          phase: last.phase,
          pollsInPhase,
          runningForMs: runningSince === undefined ? 0 : this.clock.now() - runningSince,
          expectedRunMs: o.expectedRunMs,
          queuePosition: last.queuePosition,
        },
        this.settings,
      );
      await this.clock.sleep(Math.min(delay, remaining), o.signal);
      const prev = last;
      last = await poll();
      pollsInPhase = last.phase === prev.phase ? pollsInPhase + 1 : 0;
      if (last.phase === 'running' && runningSince === undefined) {
        // It started somewhere between the two polls; take the middle.
        runningSince = (prev.at + last.at) / 2;
      }
      await tracker.report(last, isTerminal(last.phase));
    }
    return { last, timedOut: false, polls };
  }
}
