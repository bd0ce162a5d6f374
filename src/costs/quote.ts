/**
 * Confirmation where the client cannot ask (no MCP elicitation, as in Claude
 * Desktop): a big spend is answered with a quote and nothing is submitted; the
 * same call made again with the quote's token (`confirm_quote`) goes ahead. A
 * token is single-use, tied to what would be sent and its price, and expires
 * after QUOTE_TTL_MS on the server's clock. Open quotes are kept in the
 * ledger's database and taken out in one transaction: clients that start a
 * server per call (Inspector's CLI does), a restart, or two processes sharing
 * the state folder all honour a token once, and only once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { KlingError } from '../errors.js';
import type { LedgerStore } from '../ledger/store.js';
import type { Clock } from '../util/clock.js';
import { formatUsd } from '../util/format.js';
import { priceText, type Confirm, type SpendQuestion } from './confirm.js';

export const QUOTE_TTL_MS = 5 * 60_000;

/** Why a token did not confirm this call. */
export type Refusal = 'unknown' | 'expired' | 'mismatch';

export class QuoteBook {
  constructor(
    private readonly clock: Clock,
    private readonly ledger: LedgerStore,
  ) {}

  async issue(fingerprint: string): Promise<{ token: string; expiresAt: number }> {
    const token = `q-${randomBytes(12).toString('hex')}`;
    const expiresAt = this.clock.now() + QUOTE_TTL_MS;
    // An expired token is still told it expired for another TTL; only then is it forgotten.
    await this.ledger.putQuote(token, { fingerprint, expiresAt }, this.clock.now() - QUOTE_TTL_MS);
    return { token, expiresAt };
  }

  /** Uses the token up, whatever the outcome: a token is presented once. Undefined when it confirms this fingerprint. */
  async redeem(token: string, fingerprint: string): Promise<Refusal | undefined> {
    const q = await this.ledger.takeQuote(token);
    if (!q) return 'unknown';
    if (q.expiresAt <= this.clock.now()) return 'expired';
    return q.fingerprint === fingerprint ? undefined : 'mismatch';
  }
}

/** What a token is tied to: the tool, exactly what would be sent (frames by their sha256), and the price. */
export function fingerprintOf(tool: string, q: SpendQuestion): string {
  return createHash('sha256')
    .update(JSON.stringify([tool, q.inputs, q.estimateUsd ?? null, q.jobs]))
    .digest('hex');
}

const REFUSED: Record<Refusal, string> = {
  unknown: 'The confirm_quote given is not an open quote of this server (already used, or never issued).',
  expired: `The confirm_quote given has expired (a quote holds for ${QUOTE_TTL_MS / 60_000} minutes).`,
  mismatch: 'The confirm_quote given was issued for other inputs or another price.',
};

export interface QuoteContext {
  book: QuoteBook;
  tool: string;
  /** The token the call carries, if any. */
  token: string | undefined;
  thresholdUsd: number;
  /** The expected spend over the last 24 h, shown beside the quote. */
  spendSoFarUsd: () => Promise<number>;
}

/** A Confirm for a client without elicitation: a valid token is a yes; otherwise the answer is a fresh quote. */
export function quoteConfirm(ctx: QuoteContext): Confirm {
  return async (_message, q) => {
    const fingerprint = fingerprintOf(ctx.tool, q);
    const refusal = ctx.token === undefined ? undefined : await ctx.book.redeem(ctx.token, fingerprint);
    if (ctx.token !== undefined && refusal === undefined) return 'accept';
    const { token, expiresAt } = await ctx.book.issue(fingerprint);
    const spent = await ctx.spendSoFarUsd();
    throw new KlingError(
      'confirmation_required',
      `${refusal ? `${REFUSED[refusal]} ` : ''}Nothing was submitted. Quote: ${q.what} ${priceText(q)}, ${q.jobs} paid job(s); ` +
        `spend so far ${formatUsd(spent)} over the last 24 h. This is above ${formatUsd(ctx.thresholdUsd)} ` +
        '(KLING_MCP_CONFIRM_ABOVE_USD) and this client cannot ask the user to confirm, so show the user this quote; if they agree, ' +
        `call ${ctx.tool} again with the same arguments plus confirm_quote: "${token}" ` +
        `(valid once, until ${new Date(expiresAt).toISOString()}, ${QUOTE_TTL_MS / 60_000} minutes from now).`,
      { quote: { token, expiresAt, estimateUsd: q.estimateUsd } },
    );
  };
}
