/**
 * The one approval path for paid work, whatever the model and whatever it
 * makes: price it, check it against the 24 h spend limit (recording nothing),
 * and, for a big spend, get the user's yes: asked through MCP elicitation, or,
 * where the client cannot ask, answered with a quote that the same call made
 * again redeems (quote.ts). The limit's check is this module's too: the ledger
 * transaction that reserves the work (jobs/submission-record.ts) runs it again,
 * which is what makes the limit hold across processes.
 */
import { KlingError } from '../errors.js';
import type { SpendCheck } from '../jobs/submission-record.js';
import type { LedgerStore } from '../ledger/store.js';
import type { Clock } from '../util/clock.js';
import { formatUsd } from '../util/format.js';
import { spendLimit } from './guard.js';
import type { AnyModel, ModelInputBase } from '../models/model.js';
import { estimateUsd, type ModelPrice } from './price.js';
import { fingerprintOf, QUOTE_TTL_MS, QuoteBook, REFUSED } from './quote.js';
import { spendInWindow } from './spend.js';

/** One paid job: the model that makes it and exactly what would be sent. */
export interface Work {
  /** Its price rule prices the input; its title names it when the user is asked. */
  model: AnyModel;
  /** The estimate the work was reserved at before (a storyboard's plan); absent: priced now. */
  estimateUsd?: number;
  /** What would be sent (frames by their sha256): its model's price rule reads it, and a quote holds for this work alone. */
  input: ModelInputBase;
}

/** Work with its estimate (undefined: its price is unknown) and where its price came from. */
export type Priced<W extends Work> = W & { estimateUsd: number | undefined; priceSource?: string };

export interface Approved<W extends Work> {
  items: Priced<W>[];
  /** Undefined when any item's price is unknown. */
  totalUsd: number | undefined;
}

/** What the user answered: MCP elicitation's three actions. */
export type Confirmation = 'accept' | 'decline' | 'cancel';

/**
 * How one call gets the user's yes: ask them (the client offers elicitation),
 * or answer with a quote, which the same call made again with its token (`confirm_quote`) redeems.
 */
export type Consent = { ask: (message: string) => Promise<Confirmation> } | { quote: { tool: string; token: string | undefined } };

export interface ApprovalDeps {
  /** A model's current base price (price.ts#PriceBook). */
  prices: { current(model: AnyModel): Promise<ModelPrice | undefined> };
  /** Where the spend is read from and open quotes are kept. */
  ledger: Pick<LedgerStore, 'spendSources' | 'putQuote' | 'takeQuote'>;
  clock: Clock;
  settings: { spendLimitUsd: number | undefined; confirmAboveUsd: number };
}

export class Approval {
  /** The spend limit's check, none without a limit; the reserving transactions run it too (context.ts hands it to them). */
  readonly limit: SpendCheck | undefined;
  private readonly quotes: QuoteBook;

  constructor(private readonly deps: ApprovalDeps) {
    this.limit = spendLimit(deps.settings.spendLimitUsd, deps.clock);
    this.quotes = new QuoteBook(deps.clock, deps.ledger);
  }

  /** Each item's estimate: the one it carries, else at its model's current price (each model asked once). */
  async price<W extends Work>(work: readonly W[]): Promise<Priced<W>[]> {
    const unpriced = [...new Map(work.filter((w) => w.estimateUsd === undefined).map((w) => [w.model.id, w.model])).values()];
    const prices = new Map(await Promise.all(unpriced.map(async (m) => [m.id, await this.deps.prices.current(m)] as const)));
    return work.map((w) => {
      if (w.estimateUsd !== undefined) return { ...w, estimateUsd: w.estimateUsd };
      const price = prices.get(w.model.id);
      const estimate = estimateUsd(w.model, price, w.input);
      return { ...w, estimateUsd: estimate, ...(estimate !== undefined && { priceSource: priceSourceOf(w.model, price, w.input) }) };
    });
  }

  /**
   * Whether `work` may be spent, before anything is recorded: priced, within
   * the limit, and confirmed when it is above KLING_MCP_CONFIRM_ABOVE_USD (or of
   * unknown price for more than one job). Throws `spend_limit`, `price_unknown`,
   * `declined` or `confirmation_required` (a quote); nothing to approve passes,
   * without asking RunComfy even the price.
   */
  async approve<W extends Work>(what: string, work: readonly W[], consent: Consent | undefined, o: { askWhenUnknown?: boolean } = {}): Promise<Approved<W>> {
    if (work.length === 0) return { items: [], totalUsd: 0 };
    const items = await this.price(work);
    const totalUsd = items.every((i) => i.estimateUsd !== undefined) ? roundUsd(items.reduce((sum, i) => sum + i.estimateUsd!, 0)) : undefined;
    // The limit's verdict first: nobody is asked to confirm a spend the limit would then refuse.
    await this.limit?.((since) => this.deps.ledger.spendSources(since), { work: items.map((i) => ({ estimate_usd: i.estimateUsd })) }, what);
    const { confirmAboveUsd } = this.deps.settings;
    // Work of unknown price is asked about when it is several jobs, or whenever the caller says so (keyframes, music).
    const big = totalUsd === undefined ? items.length > 1 || o.askWhenUnknown === true : totalUsd > confirmAboveUsd;
    if (big && consent) await this.confirm({ what, items, totalUsd }, consent);
    return { items, totalUsd };
  }

  private async confirm(q: { what: string; items: Priced<Work>[]; totalUsd: number | undefined }, consent: Consent): Promise<void> {
    const sources = [...new Set(q.items.flatMap((i) => (i.priceSource ? [i.priceSource] : [])))];
    const cost =
      q.totalUsd === undefined
        ? 'at a price RunComfy did not publish (unknown)'
        : `for about ${formatUsd(q.totalUsd)}${sources.length > 0 ? ` (price: ${sources.join('; ')})` : ''}`;
    const above =
      q.totalUsd === undefined
        ? 'of unknown price, which always needs a yes'
        : `above ${formatUsd(this.deps.settings.confirmAboveUsd)} (KLING_MCP_CONFIRM_ABOVE_USD)`;
    if ('quote' in consent) return this.quoted(q, consent.quote, cost, above);
    const titles = [...new Set(q.items.map((i) => i.model.title))].join(' and ');
    const answer = await consent.ask(`Submit ${q.what} to ${titles} ${cost}? That is ${q.items.length} paid job(s); this asks because it is ${above}.`);
    if (answer !== 'accept') {
      throw new KlingError(
        'declined',
        `Nothing was submitted: the user ${answer === 'decline' ? 'declined' : 'dismissed'} the request to spend ${cost.replace(/^for /, '')} on ${q.what}.`,
      );
    }
  }

  /** A valid token for exactly this work is a yes; otherwise the answer is a fresh quote. */
  private async quoted(
    q: { what: string; items: Priced<Work>[]; totalUsd: number | undefined },
    quote: { tool: string; token: string | undefined },
    cost: string,
    above: string,
  ): Promise<void> {
    const fingerprint = fingerprintOf(quote.tool, [q.what, q.items.map((i) => [i.model.id, i.input, i.estimateUsd ?? null])]);
    const refusal = quote.token === undefined ? undefined : await this.quotes.redeem(quote.token, fingerprint);
    if (quote.token !== undefined && refusal === undefined) return;
    const { token, expiresAt } = await this.quotes.issue(fingerprint);
    const spent = (await spendInWindow(this.deps.ledger, this.deps.clock.now())).usd;
    throw new KlingError(
      'confirmation_required',
      `${refusal ? `${REFUSED[refusal]} ` : ''}Nothing was submitted. Quote: ${q.what} ${cost}, ${q.items.length} paid job(s); ` +
        `spend so far ${formatUsd(spent)} over the last 24 h. This is ${above} and this client cannot ask the user to confirm, so show the user this quote; if they agree, ` +
        `call ${quote.tool} again with the same arguments plus confirm_quote: "${token}" ` +
        `(valid once, until ${new Date(expiresAt).toISOString()}, ${QUOTE_TTL_MS / 60_000} minutes from now).`,
      { quote: { token, expiresAt, estimateUsd: q.totalUsd } },
    );
  }
}

const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** Where an item's price came from: the figure its model publishes for this input, else the base price read. */
function priceSourceOf(model: AnyModel, price: ModelPrice | undefined, input: ModelInputBase): string | undefined {
  if (model.price.published?.usd(input) !== undefined) return model.price.published.source;
  return price?.source;
}
