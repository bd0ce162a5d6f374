/**
 * Confirmation for big spends: above KLING_MCP_CONFIRM_ABOVE_USD (or with an
 * unknown price for more than one clip) the user is asked through MCP
 * elicitation, when the client offers it. A client without elicitation is not
 * asked; the spend limit is the guard there.
 */
import { KlingError } from '../errors.js';
import type { ToolCall } from '../calls/call.js';
import { formatUsd } from '../util/format.js';

export interface SpendQuestion {
  /** What will be made, in a line, e.g. "a 10 s clip" or "a 6-shot storyboard (40 s of video)". */
  what: string;
  estimateUsd: number | undefined;
  jobs: number;
}

export async function confirmSpend(call: ToolCall, q: SpendQuestion): Promise<void> {
  const threshold = call.app.config.confirmAboveUsd;
  const big = q.estimateUsd === undefined ? q.jobs > 1 : q.estimateUsd > threshold;
  if (!big || !call.confirm) return;
  const cost = q.estimateUsd === undefined ? 'at a price RunComfy did not publish (unknown)' : `for about ${formatUsd(q.estimateUsd)}`;
  const answer = await call.confirm(
    `Submit ${q.what} to Kling O1 on RunComfy ${cost}? That is ${q.jobs} paid job(s); this asks because it is above ${formatUsd(threshold)} (KLING_MCP_CONFIRM_ABOVE_USD).`,
  );
  if (answer !== 'accept') {
    throw new KlingError(
      'declined',
      `Nothing was submitted: the user ${answer === 'decline' ? 'declined' : 'dismissed'} the request to spend ${cost.replace(/^for /, '')} on ${q.what}.`,
    );
  }
}
