/**
 * A model's page (GET /v1/models/{id}) has two readers: the live input schema (jobs/live-schemas.ts, once a day per
 * model) and the price book (costs/price.ts, once a process for a model whose price is not published). In one call
 * the first reads it and the second follows within moments, so a page read is kept for a short while and the second
 * reader takes it instead of asking again. Only answers are shared, never a read in flight: each reader's read stays
 * bounded by its own signal.
 */
import type { Clock } from '../util/clock.js';
import type { ModelInfo } from './schemas.js';

/** How long a page read serves another reader: one call's span, far below the live schema's day. */
const KEEP_MS = 60_000;

export type ModelPageReader = (model: string, signal?: AbortSignal) => Promise<ModelInfo>;

export function sharedModelPages(read: ModelPageReader, clock: Clock): ModelPageReader {
  const kept = new Map<string, { info: ModelInfo; until: number }>();
  return async (model, signal) => {
    const page = kept.get(model);
    if (page && clock.now() < page.until) return page.info;
    const info = await read(model, signal);
    kept.set(model, { info, until: clock.now() + KEEP_MS });
    return info;
  };
}
