/**
 * What a tool handler is given for one call: the shared context, the client's
 * cancellation, progress and consent, and (for tools that talk to RunComfy)
 * the upstream units and the call's deadline. Only the tools see it: the units
 * below them take the few values of a call they need (storyboards/deps.ts#BoardCall).
 */
import type { AppContext } from '../context.js';
import type { Approval, Consent } from '../costs/approval.js';
import type { Jobs } from '../jobs/jobs.js';
import type { LiveSchemas } from '../jobs/live-schemas.js';
import type { ProgressSink } from '../polling/progress.js';
import type { RunComfyClient } from '../runcomfy/client.js';
import type { Boards } from '../storyboards/boards.js';
import type { BoardCall } from '../storyboards/deps.js';
import type { Deadline } from '../util/deadline.js';

export interface ToolCall {
  app: AppContext;
  signal: AbortSignal;
  /** Present when the client asked for progress (sent a progressToken). */
  progress?: ProgressSink;
  /** How this call gets the user's yes to a spend: elicitation where the client offers it, else a quote (costs/approval.ts). */
  consent: Consent;
}

export interface JobCall extends ToolCall {
  client: RunComfyClient;
  jobs: Jobs;
  boards: Boards;
  approval: Approval;
  live: LiveSchemas;
  deadline: Deadline;
}

/** The part of a call the storyboard service takes. */
export function boardCall({ signal, deadline, progress, consent }: JobCall): BoardCall {
  return { signal, deadline, progress, consent };
}
