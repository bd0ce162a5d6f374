/**
 * What a tool handler is given for one call: the shared context, the client's
 * cancellation, progress and confirmation, and (for tools that talk to
 * RunComfy) the upstream units and the call's deadline. Tools, storyboards and
 * costs all speak these types, so they live below all of them.
 */
import type { AppContext } from '../context.js';
import type { Jobs } from '../jobs/jobs.js';
import type { ProgressSink } from '../polling/progress.js';
import type { RunComfyClient } from '../runcomfy/client.js';
import type { Deadline } from '../util/deadline.js';

/** What the user answered to a confirmation: MCP elicitation's three actions. */
export type Confirmation = 'accept' | 'decline' | 'cancel';

export interface ToolCall {
  app: AppContext;
  signal: AbortSignal;
  /** Present when the client asked for progress (sent a progressToken). */
  progress?: ProgressSink;
  /** Asks the user a yes/no question; absent when the client did not declare elicitation. */
  confirm?: (message: string) => Promise<Confirmation>;
}

export interface JobCall extends ToolCall {
  client: RunComfyClient;
  jobs: Jobs;
  deadline: Deadline;
}
