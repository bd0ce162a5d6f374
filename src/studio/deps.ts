/**
 * What the studio (keyframes, soundtracks) works with, narrowed to what it
 * uses, and what one tool call brings to it.
 */
import type { Approval, Consent } from '../costs/approval.js';
import type { Jobs } from '../jobs/jobs.js';
import type { LedgerStore } from '../ledger/store.js';
import type { ProgressSink } from '../polling/progress.js';
import type { ImageSources } from '../preflight/frames.js';
import type { Clock } from '../util/clock.js';
import type { Deadline } from '../util/deadline.js';
import type { Logger } from '../util/log.js';

export interface StudioDeps {
  ledger: LedgerStore;
  jobs: Jobs;
  approval: Approval;
  /** Where reference images are read from (URLs, allowed folders, keyframes by id). */
  sources: () => Promise<ImageSources>;
  clock: Clock;
  log: Logger;
}

/** One call's cancellation, time, progress and way to a yes for a spend. */
export interface StudioCall {
  signal: AbortSignal;
  deadline: Deadline;
  progress?: ProgressSink;
  consent: Consent;
}
