/**
 * What the studio (keyframes, soundtracks) works with, narrowed to what it
 * uses, and what one tool call brings to it.
 */
import type { Approval } from '../costs/approval.js';
import type { Jobs } from '../jobs/jobs.js';
import type { LiveSchemas } from '../jobs/live-schemas.js';
import type { LedgerStore } from '../ledger/store.js';
import type { ImageSources } from '../preflight/frames.js';
import type { BoardCall } from '../storyboards/deps.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

export interface StudioDeps {
  ledger: LedgerStore;
  jobs: Jobs;
  approval: Approval;
  /** RunComfy's live schema of each endpoint, checked before anything is sent to it (jobs/live-schemas.ts). */
  live: Pick<LiveSchemas, 'check'>;
  /** Where reference images are read from (URLs, allowed folders, keyframes by id). */
  sources: () => Promise<ImageSources>;
  clock: Clock;
  log: Logger;
}

/** One call's cancellation, time, progress and way to a yes for a spend: what the storyboard service takes too. */
export type StudioCall = BoardCall;
