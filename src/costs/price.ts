/**
 * What a piece of work costs: its model's price rule (models/) over its input,
 * per unit at RunComfy's published base price for the model (GET
 * /v1/models/{id}), read once per model and process, or, for the default
 * model, KLING_MCP_PRICE_PER_SECOND_USD when the user sets it (estimateUsd).
 * A price endpoint that is down leaves that model's base price unknown for a
 * few minutes, then it is asked again; it never holds a tool call up for long.
 * A refused token is thrown, not priced as unknown: nothing is posted with it.
 */
import { KlingError } from '../errors.js';
import type { AnyModel, Model, ModelInputBase, PriceUnit } from '../models/model.js';
import type { Logger } from '../util/log.js';
import type { Clock } from '../util/clock.js';

/** A model's base price: USD per unit (RunComfy's `price_unit` word). */
export interface ModelPrice {
  unit: PriceUnit;
  usd: number;
  /** Where the figure comes from, as shown to the user. */
  source: string;
  note?: string;
}

/** What the client's model-info call yields (only the parts pricing needs). */
export interface PublishedPrice {
  price?: { unit: PriceUnit; usd: number };
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

  /** The base price of `model`, in its own unit; undefined when unknown, or published in another unit than its price rule's. */
  async current(model: AnyModel): Promise<ModelPrice | undefined> {
    if (model.id === this.override.model && this.override.perSecondUsd !== undefined && model.price.unit === 'second') {
      return { unit: 'second', usd: this.override.perSecondUsd, source: 'KLING_MCP_PRICE_PER_SECOND_USD' };
    }
    const price = await this.published(model.id);
    if (!price || price.unit === model.price.unit) return price;
    this.log.warn(`RunComfy prices ${model.id} per ${price.unit}, but this server bills it per ${model.price.unit}; costs are shown as unknown.`);
    return undefined;
  }

  private published(model: string): Promise<ModelPrice | undefined> {
    const cached = this.cached.get(model);
    if (cached && this.clock.now() < cached.until) return Promise.resolve(cached.price);
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

/** What one input costs per unit of its model's price, and where that figure comes from (every quote says). */
export interface UnitPrice {
  usd: number;
  unit: PriceUnit;
  source: string;
}

/**
 * One input's price per unit by its model's price rule: the price RunComfy publishes for this input, else the
 * base price × the input's factor; undefined when neither is known.
 */
export function unitPrice<I extends ModelInputBase, F extends string>(model: Model<I, F>, price: ModelPrice | undefined, input: I): UnitPrice | undefined {
  const rule = model.price;
  const published = rule.published?.usd(input);
  if (published !== undefined) return { usd: published, unit: rule.unit, source: rule.published!.source };
  if (!price) return undefined;
  const factor = rule.factor?.(input) ?? 1;
  return { usd: price.usd * factor, unit: rule.unit, source: factor === 1 ? price.source : `${price.source}, ${rule.factorSource ?? `× ${factor}`}` };
}

/** The expected cost of one input by its model's price rule (units × unitPrice); undefined when its price is unknown. */
export function estimateUsd<I extends ModelInputBase, F extends string>(model: Model<I, F>, price: ModelPrice | undefined, input: I): number | undefined {
  const perUnit = unitPrice(model, price, input);
  return perUnit && Math.round(perUnit.usd * model.price.units(input) * 1e6) / 1e6;
}
