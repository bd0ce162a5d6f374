/**
 * What work costs: RunComfy's published price for its model (GET
 * /v1/models/{id}), read once per model and process, or, for the default
 * model, KLING_MCP_PRICE_PER_SECOND_USD when the user sets it; how much of the
 * price's unit the work makes does the rest (estimateUsd). A price endpoint that is down leaves
 * that model's price unknown for a few minutes, then it is asked again; it
 * never holds a tool call up for long. A refused token is thrown, not priced as unknown: nothing is posted with it.
 */
import { KlingError } from '../errors.js';
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

/** Reads the published price of one model, by its RunComfy id. */
export type PriceLookup = (model: string, signal: AbortSignal) => Promise<PublishedPrice>;

const LOOKUP_TIMEOUT_MS = 5_000;
const RETRY_AFTER_MS = 5 * 60_000;

export class PriceBook {
  private readonly cached = new Map<string, { price: ModelPrice | undefined; until: number }>();
  private readonly inFlight = new Map<string, Promise<ModelPrice | undefined>>();

  constructor(
    private readonly lookup: PriceLookup,
    /** The user's price per second, and the model (id) it is for: the default one, the model the tools offer. */
    private readonly override: { model: string; perSecondUsd: number | undefined },
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The price of `model` (its RunComfy id). */
  async current(model: string): Promise<ModelPrice | undefined> {
    if (model === this.override.model && this.override.perSecondUsd !== undefined) {
      return { per: 'second', usd: this.override.perSecondUsd, source: 'KLING_MCP_PRICE_PER_SECOND_USD' };
    }
    const cached = this.cached.get(model);
    if (cached && this.clock.now() < cached.until) return cached.price;
    let asking = this.inFlight.get(model);
    if (!asking) {
      asking = this.ask(model).finally(() => this.inFlight.delete(model));
      this.inFlight.set(model, asking);
    }
    return asking;
  }

  private async ask(model: string): Promise<ModelPrice | undefined> {
    try {
      const info = await this.lookup(model, AbortSignal.timeout(LOOKUP_TIMEOUT_MS));
      const price = info.price && { ...info.price, source: "RunComfy's model page", ...(info.pricingNote && { note: info.pricingNote }) };
      if (!price)
        this.log.warn(`RunComfy's price for ${model} is in a unit this server does not know (${info.priceUnit ?? 'none given'}); costs are shown as unknown.`);
      this.cached.set(model, { price, until: Infinity });
      return price;
    } catch (err) {
      // A refused token is the answer every later request would get too: stop here, before anything is posted.
      if (err instanceof KlingError && err.code === 'unauthorized') throw err;
      this.log.warn(`could not read RunComfy's price for ${model} (${(err as Error).message}); costs are unknown for now.`);
      this.cached.set(model, { price: undefined, until: this.clock.now() + RETRY_AFTER_MS });
      return undefined;
    }
  }
}

/** How much one job makes, in whichever unit its model is priced: seconds of output, or outputs (1 when absent). */
export interface WorkAmount {
  seconds?: number;
  count?: number;
}

/** The expected cost of one job, or undefined when the price (or the amount it is priced by) is unknown. */
export function estimateUsd(price: ModelPrice | undefined, amount: WorkAmount): number | undefined {
  if (!price) return undefined;
  const units = price.per === 'second' ? amount.seconds : (amount.count ?? 1);
  return units === undefined ? undefined : Math.round(price.usd * units * 1e6) / 1e6;
}
