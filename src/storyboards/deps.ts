/**
 * What the storyboard service (boards.ts) is built with, once, in the context,
 * and what one tool call brings to it. Each step takes these two: its service's
 * dependencies (narrowed to the ones it uses) and the call.
 */
import type { Approval, Consent } from '../costs/approval.js';
import type { Jobs } from '../jobs/jobs.js';
import type { LiveSchemas } from '../jobs/live-schemas.js';
import type { LedgerStore } from '../ledger/store.js';
import type { ProgressSink } from '../polling/progress.js';
import type { ImageSources } from '../preflight/frames.js';
import type { Clock } from '../util/clock.js';
import type { Deadline } from '../util/deadline.js';
import type { Logger } from '../util/log.js';

export interface BoardSettings {
  /** Where clips, films, contact sheets, soundtracks and thumbnails are saved (KLING_MCP_OUTPUT_DIR). */
  outputDir: string;
  /** KLING_MCP_MAX_WAIT_S: the least time a call may spend checking and submitting, and the wait its next steps advise. */
  maxWaitS: number;
  /** KLING_MCP_ALLOW_PRIVATE_URLS, for a soundtrack fetched by URL. */
  allowPrivateUrls: boolean;
}

export interface BoardsDeps {
  ledger: LedgerStore;
  jobs: Jobs;
  approval: Approval;
  /** Each engine's live input schema, checked before a board's shots are (jobs/live-schemas.ts). */
  live: LiveSchemas;
  /** Where frames and soundtracks are read from: the URL fetcher and, unless local images are off, the allowed folders. */
  sources: () => Promise<ImageSources>;
  clock: Clock;
  log: Logger;
  settings: BoardSettings;
}

/** What one tool call brings: its cancellation, its time, where its progress goes, and how it gets a yes to a spend. */
export interface BoardCall {
  signal: AbortSignal;
  deadline: Deadline;
  progress?: ProgressSink;
  consent?: Consent;
}
