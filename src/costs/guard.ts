/**
 * The spend limit (KLING_MCP_SPEND_LIMIT_USD) as a check: given what the
 * ledger holds and the work about to be recorded, it refuses work that would
 * cross the limit. The submission record (jobs/submission-record.ts) runs it
 * inside the same ledger transaction as the reservation it guards, so two
 * processes sharing the ledger cannot both pass.
 */
import { KlingError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { formatUsd } from '../util/format.js';
import type { SpendCheck } from '../jobs/submission-record.js';
import { SPEND_WINDOW_MS, spendSince } from './spend.js';

/** The check for a limit (throwing `spend_limit`, or `price_unknown`); none without one. */
export function spendLimit(limitUsd: number | undefined, clock: Clock): SpendCheck | undefined {
  if (limitUsd === undefined) return undefined;
  return async (read, extra, what) => {
    const estimates = [...(extra.pending ?? []).map((p) => p.estimate_usd), ...(extra.boards ?? []).flatMap((b) => b.shots.map((s) => s.estimate_usd))];
    if (estimates.some((u) => u === undefined)) {
      throw new KlingError(
        'price_unknown',
        `Nothing was submitted: KLING_MCP_SPEND_LIMIT_USD is set, but the price of ${what} is not known (RunComfy's model endpoint gave no price this server can read, or could not be reached), so the spend cannot be checked. Set KLING_MCP_PRICE_PER_SECOND_USD to RunComfy's price per second of video, or try again in a few minutes.`,
      );
    }
    const since = clock.now() - SPEND_WINDOW_MS;
    const sources = await read(since);
    const before = spendSince(since, sources);
    const after = spendSince(since, {
      jobs: sources.jobs,
      pending: [...sources.pending, ...(extra.pending ?? [])],
      boards: [...sources.boards, ...(extra.boards ?? []).map((board) => ({ board, jobs: [] }))],
    });
    // Work already reserved (a storyboard's shots) adds nothing when it is submitted, so it is never refused here.
    if (after.usd > limitUsd + 1e-9 && after.usd > before.usd + 1e-9) {
      throw new KlingError(
        'spend_limit',
        `Nothing was submitted: ${what} would cost about ${formatUsd(after.usd - before.usd)}, and the expected spend over the last 24 h is already ${formatUsd(before.usd)} ` +
          `(${before.jobs} job(s)), which would make ${formatUsd(after.usd)}, above KLING_MCP_SPEND_LIMIT_USD=${formatUsd(limitUsd)}. ` +
          'Raise KLING_MCP_SPEND_LIMIT_USD in the server config, or wait until older jobs leave the 24 h window (list_jobs shows the spend).',
      );
    }
  };
}
