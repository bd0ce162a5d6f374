/**
 * Confirmation for big spends: above KLING_MCP_CONFIRM_ABOVE_USD (or with an
 * unknown price for more than one clip) the user confirms first. How depends
 * on the client: through MCP elicitation where it offers it, else with a quote
 * and its token (quote.ts). This module decides only whether to ask and what.
 */
import { KlingError } from '../errors.js';
import { formatUsd } from '../util/format.js';

/** What the user answered: MCP elicitation's three actions. */
export type Confirmation = 'accept' | 'decline' | 'cancel';

export interface SpendQuestion {
  /** What will be made, in a line, e.g. "a 10 s clip" or "a 6-shot storyboard (40 s of video)". */
  what: string;
  estimateUsd: number | undefined;
  jobs: number;
  /** Exactly what would be sent (frames by their sha256), so a quote's token holds for this work alone. */
  inputs: unknown;
}

/** Asks the user about one spend (the message is the question as a person reads it). */
export type Confirm = (message: string, q: SpendQuestion) => Promise<Confirmation>;

/** "for about $1.12", or that the price is unknown. */
export function priceText(q: SpendQuestion): string {
  return q.estimateUsd === undefined ? 'at a price RunComfy did not publish (unknown)' : `for about ${formatUsd(q.estimateUsd)}`;
}

export async function confirmSpend(confirm: Confirm | undefined, thresholdUsd: number, q: SpendQuestion): Promise<void> {
  const big = q.estimateUsd === undefined ? q.jobs > 1 : q.estimateUsd > thresholdUsd;
  if (!big || !confirm) return;
  const cost = priceText(q);
  const answer = await confirm(
    `Submit ${q.what} to Kling O1 on RunComfy ${cost}? That is ${q.jobs} paid job(s); this asks because it is above ${formatUsd(thresholdUsd)} (KLING_MCP_CONFIRM_ABOVE_USD).`,
    q,
  );
  if (answer !== 'accept') {
    throw new KlingError(
      'declined',
      `Nothing was submitted: the user ${answer === 'decline' ? 'declined' : 'dismissed'} the request to spend ${cost.replace(/^for /, '')} on ${q.what}.`,
    );
  }
}
