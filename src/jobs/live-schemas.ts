/**
 * RunComfy's live input schema of each model (GET /v1/models/{id}), read
 * before the first submission to the model each day and compared with the
 * registry's copy: a difference that touches what is sent (models/schema-drift.ts
 * decides which) refuses the work before anything is paid for; rules RunComfy
 * now publishes for a media field that has none here are applied by pre-flight
 * (the same interpreter as the registry's), so the newer engines' frame rules
 * follow RunComfy as soon as it publishes them. A model is read at most once a
 * day across processes (the claim is kept in the ledger), within
 * LIVE_READ_MS of the call; a read that fails never blocks a submission.
 */
import { KlingError, isKlingError } from '../errors.js';
import type { LedgerStore, ModelRead } from '../ledger/store.js';
import type { ImageRule } from '../models/image-rules.js';
import type { AnyModel, ImageSpec, MediaField } from '../models/model.js';
import { driftText, fieldsSent, inputSchemaJson, schemaDrift, type InputSchema } from '../models/schema-drift.js';
import type { RunComfyClient } from '../runcomfy/client.js';
import { timeoutOn, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

/** A read this recent is today's: no process reads the model again before. */
export const LIVE_FRESH_MS = 24 * 3_600_000;
/** After a read that failed, another may be tried this much later. */
export const LIVE_RETRY_MS = 3_600_000;
/** A read claimed this long ago with no outcome was cut short (its process ended): another may claim it. */
const LIVE_ABANDONED_MS = 60_000;
/** The most a call waits for a live read: the read only ever adds a refusal the submission would meet upstream. */
export const LIVE_READ_MS = 2_000;

export interface LiveSchemaDeps {
  client: Pick<RunComfyClient, 'modelInfo'>;
  ledger: Pick<LedgerStore, 'modelRead' | 'claimModelRead' | 'putModelRead'>;
  clock: Clock;
  log: Logger;
}

/** A request about to be sent, and what names it in messages ("shot 3"). */
export interface Body {
  label?: string;
  body: Readonly<Record<string, unknown>>;
}

/** A model as RunComfy serves it today. */
export interface LiveModel<M extends AnyModel = AnyModel> {
  model: M;
  /** What the live schema refuses of these bodies, one sentence each (none: they may be sent). */
  refusals(bodies: readonly Body[]): string[];
}

/** Refusals of the live schemas, as the one error that stops the work before anything is sent. */
export function throwRefusals(refusals: readonly string[]): void {
  if (refusals.length > 0) throw new KlingError('model_changed', `Nothing was submitted. ${[...new Set(refusals)].join('\n')}`);
}

export class LiveSchemas {
  constructor(private readonly deps: LiveSchemaDeps) {}

  /**
   * The model as RunComfy serves it today, checked against the bodies about to be sent (their media fields as the
   * caller gives them): the registry's model, with the live rules of media fields it has none for. Throws
   * `model_changed`, naming each difference and what to do, when RunComfy now refuses or judges one otherwise.
   */
  async check<M extends AnyModel>(model: M, bodies: readonly Body[], signal: AbortSignal): Promise<M> {
    const live = await this.adopt(model, signal);
    throwRefusals(live.refusals(bodies));
    return live.model;
  }

  /**
   * The model as RunComfy serves it today (the registry's, with the live rules of media fields it has none for),
   * and what its live schema refuses of given bodies: for a caller that learns what it sends only later.
   */
  async adopt<M extends AnyModel>(model: M, signal: AbortSignal): Promise<LiveModel<M>> {
    const live = await this.liveSchema(model, signal);
    if (!live) return { model, refusals: () => [] };
    const adopted = adoptRules(model, live);
    const ours: InputSchema = {
      ...model.schema,
      properties: { ...model.schema.properties, ...mapValues(adopted.adopted, (rules, field) => ({ ...model.schema.properties[field], validations: rules })) },
    };
    return {
      model: adopted.model,
      refusals: (bodies) =>
        bodies.flatMap(({ label, body }) => {
          const drift = schemaDrift(live, ours, { body });
          return drift.refuse.length === 0 ? [] : [`${label ? `${label}: ` : ''}${driftText(model.id, drift)}`];
        }),
    };
  }

  /** The newest live schema known (read now if today's read is not claimed yet), or undefined when none could be had. */
  private async liveSchema(model: AnyModel, signal: AbortSignal): Promise<InputSchema | undefined> {
    const { ledger, clock } = this.deps;
    const now = clock.now();
    const last = await ledger.modelRead(model.id);
    const due = readDue(last, now);
    // Only a read that is due takes the ledger's write lock, and of processes racing for it one reads.
    const claimed = due && (await ledger.claimModelRead(model.id, now, (newest) => readDue(newest, now)));
    const schema = claimed ? await this.read(model, signal) : due ? (await ledger.modelRead(model.id))?.schema : last?.schema;
    if (schema === undefined) return undefined;
    const parsed = inputSchemaJson.safeParse(schema);
    return parsed.success ? parsed.data : undefined;
  }

  /** Reads the live schema once, keeps it (or why it could not be read) in the ledger, and says what changed nothing sent. */
  private async read(model: AnyModel, signal: AbortSignal): Promise<unknown> {
    const { client, ledger, clock, log } = this.deps;
    const limit = timeoutOn(clock, LIVE_READ_MS);
    try {
      const { inputSchema } = await client.modelInfo(model.id, AbortSignal.any([signal, limit.signal]));
      if (!inputSchema) throw new Error('its answer holds no input schema');
      await ledger.putModelRead(model.id, { schema: inputSchema, at: clock.now() });
      const notes = schemaDrift(inputSchema, model.schema, { fields: fieldsSent(model) }).notes;
      if (notes.length > 0) log.info(driftText(model.id, { refuse: [], notes }));
      return inputSchema;
    } catch (err) {
      if (signal.aborted) throw err;
      const why = limit.signal.aborted ? `no answer within ${LIVE_READ_MS / 1000} s` : (err as Error).message;
      await ledger.putModelRead(model.id, { failed: why, at: clock.now() });
      // A refused token is what submitting would meet too: stop here, with what to do, before anything is posted.
      if (isKlingError(err, 'unauthorized')) throw err;
      log.warn(`could not read RunComfy's live input schema of ${model.id} (${why}); submitting on this server's copy of it.`);
      return (await ledger.modelRead(model.id))?.schema;
    } finally {
      limit.stop();
    }
  }
}

/** Whether a model's live schema is to be read now: never read, a day since the last good read, an hour since a failed one, or a read cut short. */
function readDue(last: ModelRead | undefined, now: number): boolean {
  if (!last) return true;
  const age = now - last.claimedAt;
  if (last.readAt !== undefined && last.readAt >= last.claimedAt) return age >= LIVE_FRESH_MS;
  return age >= (last.failed !== undefined ? LIVE_RETRY_MS : LIVE_ABANDONED_MS);
}

const mapValues = <T, U>(record: Readonly<Record<string, T>>, fn: (value: T, key: string) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v, k)]));

/** The registry's model with the live `validations` of each media field it publishes none for. */
function adoptRules<M extends AnyModel>(model: M, live: InputSchema): { model: M; adopted: Record<string, readonly ImageRule[]> } {
  const adopted: Record<string, readonly ImageRule[]> = {};
  for (const [field, m] of Object.entries(model.media)) {
    const rules = live.properties[field]?.validations;
    if (m.rules.length === 0 && rules && rules.length > 0) adopted[field] = rules as readonly ImageRule[];
  }
  if (Object.keys(adopted).length === 0) return { model, adopted };
  const media: Record<string, MediaField> = { ...model.media };
  const images: Record<string, ImageSpec> = { ...model.images };
  for (const [field, rules] of Object.entries(adopted)) {
    media[field] = { ...media[field]!, rules };
    if (field in images) images[field] = { ...images[field]!, rules };
  }
  return { model: { ...model, media, images }, adopted };
}
