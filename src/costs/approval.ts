/**
 * The one approval path for paid work, whatever the model and whatever it
 * makes: price it, check it against the 24 h spend limit (recording nothing),
 * and, for a big spend, get the user's yes: asked through MCP elicitation, or,
 * where the client cannot ask, answered with a quote that the same call made
 * again redeems (quote.ts). The limit's check is this module's too: the ledger
 * transaction that reserves the work (jobs/submission-record.ts) runs it again,
 * which is what makes the limit hold across processes. The account's balance,
 * where it can be read, is shown with every question and quote, and work that
 * costs more than it is refused here (RunComfy would refuse it with 402 anyway).
 */
import { KlingError } from '../errors.js';
import type { SpendCheck } from '../jobs/submission-record.js';
import type { LedgerStore } from '../ledger/store.js';
import { timeoutOn, type Clock } from '../util/clock.js';
import { formatUsd } from '../util/format.js';
import { spendLimit } from './guard.js';
import { hasSound } from '../models/clip.js';
import type { AnyModel, ModelInputBase } from '../models/model.js';
import { estimateUsd, unitPrice, type ModelPrice, type UnitPrice } from './price.js';
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

/** Work with its estimate (undefined: its price is unknown) and, where known, its price per unit and where that comes from. */
export type Priced<W extends Work> = W & { estimateUsd: number | undefined; unitPrice?: UnitPrice };

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
  /** The account's balance in USD (runcomfy/client.ts#balance); absent, or failing, the balance is not checked. */
  balance?: (signal: AbortSignal) => Promise<{ usd: number }>;
  log?: { info(message: string): void };
}

/** The longest a balance read may hold a call: the balance only adds to a verdict the spend limit already gave. */
export const BALANCE_READ_MS = 2_000;
/** One read of the balance serves the calls of this long (a burst of clips asks the account API once). */
export const BALANCE_FRESH_MS = 10_000;

export class Approval {
  /** The spend limit's check, none without a limit; the reserving transactions run it too (context.ts hands it to them). */
  readonly limit: SpendCheck | undefined;
  private readonly quotes: QuoteBook;
  private balanceRead: { at: number; usd: Promise<number | undefined> } | undefined;

  constructor(private readonly deps: ApprovalDeps) {
    this.limit = spendLimit(deps.settings.spendLimitUsd, deps.clock);
    this.quotes = new QuoteBook(deps.clock, deps.ledger);
  }

  /**
   * Each item's estimate: the one it carries, else at its price per unit: the one RunComfy publishes for its input,
   * else its model's current base price (each model asked once, and only when a price is not published).
   */
  async price<W extends Work>(work: readonly W[]): Promise<Priced<W>[]> {
    const asked = work.filter((w) => w.estimateUsd === undefined && w.model.price.published?.usd(w.input) === undefined);
    const models = [...new Map(asked.map((w) => [w.model.id, w.model])).values()];
    const prices = new Map(await Promise.all(models.map(async (m) => [m.id, await this.deps.prices.current(m)] as const)));
    return work.map((w) => {
      const unit = unitPrice(w.model, prices.get(w.model.id), w.input);
      return { ...w, estimateUsd: w.estimateUsd ?? estimateUsd(w.model, prices.get(w.model.id), w.input), ...(unit && { unitPrice: unit }) };
    });
  }

  /**
   * Whether `work` may be spent, before anything is recorded: priced, within
   * the limit, and confirmed when it is above KLING_MCP_CONFIRM_ABOVE_USD (or of
   * unknown price for more than one job). Throws `spend_limit`, `price_unknown`,
   * `declined` or `confirmation_required` (a quote); nothing to approve passes,
   * without asking RunComfy even the price.
   */
  async approve<W extends Work>(
    what: string,
    work: readonly W[],
    consent: Consent | undefined,
    options: { askWhenUnknown?: boolean; notes?: readonly string[] } = {},
  ): Promise<Approved<W>> {
    if (work.length === 0) return { items: [], totalUsd: 0 };
    const items = await this.price(work);
    const totalUsd = items.every((i) => i.estimateUsd !== undefined) ? roundUsd(items.reduce((sum, i) => sum + i.estimateUsd!, 0)) : undefined;
    // The limit's verdict first: nobody is asked to confirm a spend the limit would then refuse.
    await this.limit?.((since) => this.deps.ledger.spendSources(since), { work: items.map((i) => ({ estimate_usd: i.estimateUsd })) }, what);
    const balanceUsd = await this.balanceUsd();
    if (balanceUsd !== undefined && totalUsd !== undefined && totalUsd > balanceUsd) {
      throw new KlingError(
        'insufficient_credits',
        `Nothing was submitted: ${what} would cost about ${formatUsd(totalUsd)}, more than your RunComfy balance of ${formatUsd(balanceUsd)}, so RunComfy would refuse it. ` +
          'Top up your RunComfy balance, or ask for less at once (fewer or shorter clips, another engine, no sound).',
      );
    }
    const { confirmAboveUsd } = this.deps.settings;
    // Work of unknown price is asked about when it is several jobs, or whenever the caller says so (keyframes, music).
    const big = totalUsd === undefined ? items.length > 1 || options.askWhenUnknown === true : totalUsd > confirmAboveUsd;
    if (big && consent) await this.confirm({ what, items, totalUsd, balanceUsd, notes: options.notes ?? [] }, consent);
    return { items, totalUsd };
  }

  /** The account's balance, or undefined when it cannot be read within BALANCE_READ_MS (never a reason to refuse). */
  private balanceUsd(): Promise<number | undefined> {
    const now = this.deps.clock.now();
    if (!this.deps.balance) return Promise.resolve(undefined);
    if (this.balanceRead && now - this.balanceRead.at < BALANCE_FRESH_MS) return this.balanceRead.usd;
    const read = this.deps.balance;
    const limit = timeoutOn(this.deps.clock, BALANCE_READ_MS);
    const usd = read(limit.signal).then(
      (b) => b.usd,
      (err: unknown) => {
        this.deps.log?.info(`could not read the RunComfy balance (${(err as Error).message}); the work is not checked against it.`);
        return undefined;
      },
    );
    this.balanceRead = { at: now, usd: usd.finally(limit.stop) };
    return this.balanceRead.usd;
  }

  private async confirm(q: Quotable, consent: Consent): Promise<void> {
    const cost = q.totalUsd === undefined ? 'at a price RunComfy did not publish (unknown)' : `for about ${formatUsd(q.totalUsd)}`;
    const above = q.totalUsd === undefined ? 'of unknown price' : `above ${formatUsd(this.deps.settings.confirmAboveUsd)} (KLING_MCP_CONFIRM_ABOVE_USD)`;
    if ('quote' in consent) return this.quoted(q, consent.quote, cost, above);
    const titles = [...new Set(q.items.map((i) => i.model.title))].join(' and ');
    const answer = await consent.ask(
      `Submit ${q.what} to ${titles} ${cost}? That is ${q.items.length} paid job(s)${balanceText(q)}; this asks because it is ${above}. ${pricesText(q.items)}.${notesText(q)}`,
    );
    if (answer !== 'accept') {
      throw new KlingError(
        'declined',
        `Nothing was submitted: the user ${answer === 'decline' ? 'declined' : 'dismissed'} the request to spend ${cost.replace(/^for /, '')} on ${q.what}.`,
      );
    }
  }

  /** A valid token for exactly this work is a yes; otherwise the answer is a fresh quote. */
  private async quoted(q: Quotable, quote: { tool: string; token: string | undefined }, cost: string, above: string): Promise<void> {
    const fingerprint = fingerprintOf(quote.tool, [q.what, q.items.map((i) => [i.model.id, i.input, i.estimateUsd ?? null])]);
    const refusal = quote.token === undefined ? undefined : await this.quotes.redeem(quote.token, fingerprint);
    if (quote.token !== undefined && refusal === undefined) return;
    const { token, expiresAt } = await this.quotes.issue(fingerprint);
    const spent = (await spendInWindow(this.deps.ledger, this.deps.clock.now())).usd;
    throw new KlingError(
      'confirmation_required',
      `${refusal ? `${REFUSED[refusal]} ` : ''}Nothing was submitted. Quote: ${q.what} ${cost}, ${q.items.length} paid job(s) (${pricesText(q.items)}); ` +
        `spend so far ${formatUsd(spent)} over the last 24 h${balanceText(q)}.${notesText(q)} This is ${above} and this client cannot ask the user to confirm, so show the user this quote; if they agree, ` +
        `call ${quote.tool} again with the same arguments plus confirm_quote: "${token}" ` +
        `(valid once, until ${new Date(expiresAt).toISOString()}, ${QUOTE_TTL_MS / 60_000} minutes from now).`,
      { quote: { token, expiresAt, estimateUsd: q.totalUsd } },
    );
  }
}

/** What a question or a quote shows. */
interface Quotable {
  what: string;
  items: Priced<Work>[];
  totalUsd: number | undefined;
  balanceUsd: number | undefined;
  /** What the user should know before saying yes (a board whose clips may not join). */
  notes: readonly string[];
}

/** Each price the work is estimated at, once, with where it comes from: "Kling 3.0 Pro with sound $0.168/second (RunComfy's model page)". */
function pricesText(items: readonly Priced<Work>[]): string {
  const lines = items.map((i) => {
    const sound = hasSound(i.model, i.input) ? ' with sound' : '';
    if (!i.unitPrice) return `${i.model.name}${sound}: price unknown`;
    const { usd, unit, source } = i.unitPrice;
    // Per-unit prices are fractions of a cent apart ($0.084, $0.126): shown to four places, not rounded to cents.
    return `${i.model.name}${sound} $${Number(usd.toFixed(4))}/${unit} (${source})`;
  });
  return `prices: ${[...new Set(lines)].join('; ')}`;
}

const notesText = (q: Quotable) => q.notes.map((n) => ` ${n}`).join('');

const balanceText = (q: Quotable) => (q.balanceUsd === undefined ? '' : `; your RunComfy balance is ${formatUsd(q.balanceUsd)}`);

const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;
