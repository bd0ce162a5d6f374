/**
 * The spend limit (KLING_MCP_SPEND_LIMIT_USD) as a check: given what the
 * ledger holds and the work about to be recorded, it refuses work that would
 * cross the limit. The approval path (approval.ts) runs it before asking
 * anyone, recording nothing; the submission record (jobs/submission-record.ts)
 * runs it again inside the ledger transaction that reserves the work, so two
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
  return async (read, adding, what) => {
    const work = adding.work ?? [];
    const pending = adding.pending ? [adding.pending] : [];
    if ([...pending, ...work].some((w) => w.estimate_usd === undefined)) {
      throw new KlingError(
        'price_unknown',
        `Nothing was submitted: KLING_MCP_SPEND_LIMIT_USD is set, but the price of ${what} is not known (RunComfy's model endpoint gave no price this server can read, or could not be reached), so the spend cannot be checked. Set KLING_MCP_PRICE_PER_SECOND_USD to RunComfy's price per second of video, or try again in a few minutes.`,
      );
    }
    const since = clock.now() - SPEND_WINDOW_MS;
    const sources = await read(since);
    const before = spendSince(since, sources);
    // A submission may take a render its storyboard reserved (then it adds nothing); new work adds its whole estimate.
    const withPending = spendSince(since, { ...sources, pending: [...sources.pending, ...pending] });
    const after = Math.round((withPending.usd + work.reduce((sum, w) => sum + w.estimate_usd!, 0)) * 1e6) / 1e6;
    if (after > limitUsd + 1e-9 && after > before.usd + 1e-9) {
      throw new KlingError(
        'spend_limit',
        `Nothing was submitted: ${what} would cost about ${formatUsd(after - before.usd)}, and the expected spend over the last 24 h is already ${formatUsd(before.usd)} ` +
          `(${before.jobs} job(s)), which would make ${formatUsd(after)}, above KLING_MCP_SPEND_LIMIT_USD=${formatUsd(limitUsd)}. ` +
          'Raise KLING_MCP_SPEND_LIMIT_USD in the server config, or wait until older jobs leave the 24 h window (list_jobs shows the spend).',
      );
    }
  };
}
