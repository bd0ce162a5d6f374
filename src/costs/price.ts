/**
 * What a clip costs: RunComfy's published price for the model, read once per
 * process, or KLING_MCP_PRICE_PER_SECOND_USD when the user sets it. A price
 * endpoint that is down leaves the price unknown for a few minutes, then it is
 * asked again; it never holds a tool call up for long.
 */
import type { Logger } from '../util/log.js';
import type { Clock } from '../util/clock.js';

export interface ModelPrice {
  per: 'second' | 'request';
  usd: number;
  /** Where the figure comes from, as shown to the user. */
  source: string;
  note?: string;
}

/** What the client's model-info call yields (only the parts pricing needs). */
export interface PublishedPrice {
  price?: { per: 'second' | 'request'; usd: number };
  pricingNote?: string;
  priceUnit?: string;
}

export type PriceLookup = (signal: AbortSignal) => Promise<PublishedPrice>;

const LOOKUP_TIMEOUT_MS = 5_000;
const RETRY_AFTER_MS = 5 * 60_000;

export class PriceBook {
  private cached: { price: ModelPrice | undefined; until: number } | undefined;
  private inFlight: Promise<ModelPrice | undefined> | undefined;

  constructor(
    private readonly lookup: PriceLookup,
    private readonly perSecondOverride: number | undefined,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async current(): Promise<ModelPrice | undefined> {
    if (this.perSecondOverride !== undefined) return { per: 'second', usd: this.perSecondOverride, source: 'KLING_MCP_PRICE_PER_SECOND_USD' };
    if (this.cached && this.clock.now() < this.cached.until) return this.cached.price;
    this.inFlight ??= this.ask().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async ask(): Promise<ModelPrice | undefined> {
    try {
      const info = await this.lookup(AbortSignal.timeout(LOOKUP_TIMEOUT_MS));
      const price = info.price && { ...info.price, source: "RunComfy's model page", ...(info.pricingNote && { note: info.pricingNote }) };
      if (!price)
        this.log.warn(`RunComfy's price for the model is in a unit this server does not know (${info.priceUnit ?? 'none given'}); costs are shown as unknown.`);
      this.cached = { price, until: Infinity };
      return price;
    } catch (err) {
      this.log.warn(`could not read RunComfy's price for the model (${(err as Error).message}); costs are unknown for now.`);
      this.cached = { price: undefined, until: this.clock.now() + RETRY_AFTER_MS };
      return undefined;
    }
  }
}

/** The expected cost of one clip of `durationS` seconds, or undefined when the price is unknown. */
export function estimateUsd(price: ModelPrice | undefined, durationS: number): number | undefined {
  if (!price) return undefined;
  return Math.round((price.per === 'second' ? price.usd * durationS : price.usd) * 1e6) / 1e6;
}
