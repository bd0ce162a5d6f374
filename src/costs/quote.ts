/**
 * Quotes, for clients that cannot ask the user (no MCP elicitation, as in
 * Claude Desktop): a big spend is answered with a quote and nothing is
 * submitted; the same call made again with the quote's token (`confirm_quote`)
 * goes ahead. A token is single-use, tied to what would be sent and its price,
 * and expires after QUOTE_TTL_MS on the server's clock. Open quotes are kept in
 * the ledger's database and taken out in one transaction: clients that start a
 * server per call (Inspector's CLI does), a restart, or two processes sharing
 * the state folder all honour a token once, and only once. Whether to quote is
 * the approval path's decision (approval.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { LedgerStore } from '../ledger/store.js';
import type { Clock } from '../util/clock.js';

export const QUOTE_TTL_MS = 5 * 60_000;

/** Why a token did not confirm this call. */
export type Refusal = 'unknown' | 'expired' | 'mismatch';

export const REFUSED: Record<Refusal, string> = {
  unknown: 'The confirm_quote given is not an open quote of this server (already used, or never issued).',
  expired: `The confirm_quote given has expired (a quote holds for ${QUOTE_TTL_MS / 60_000} minutes).`,
  mismatch: 'The confirm_quote given was issued for other inputs or another price.',
};

export class QuoteBook {
  constructor(
    private readonly clock: Clock,
    private readonly ledger: Pick<LedgerStore, 'putQuote' | 'takeQuote'>,
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

/** What a token is tied to: the tool and whatever says exactly what would be sent (frames by their sha256) and at what price. */
export function fingerprintOf(tool: string, work: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([tool, work]))
    .digest('hex');
}
