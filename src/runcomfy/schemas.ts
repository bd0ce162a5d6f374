/**
 * Shapes of RunComfy's answers, parsed with zod and tolerant of extra fields:
 * we take what we need and never trust the rest.
 */
import { z } from 'zod';
import type { PriceUnit } from '../models/model.js';
import { modelOutputSchema } from '../models/output.js';
import { inputSchemaJson, type InputSchema } from '../models/schema-drift.js';
import { errorText } from './error-text.js';
import { REQUEST_ID_PATTERN } from './ids.js';

const stateString = z.string().min(1).max(64);

export const submitResponseSchema = z.looseObject({
  request_id: z.string().regex(REQUEST_ID_PATTERN),
  status: stateString.optional().catch(undefined),
  status_url: z.string().optional(),
  result_url: z.string().optional(),
  cancel_url: z.string().optional(),
});
export type SubmitResponse = z.output<typeof submitResponseSchema>;

/** A number ≥ 0 sent as a number or a numeric string; anything else is unknown (undefined), never an error. */
const nonNegative = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/)
      .transform(Number),
  ])
  .nullish()
  .transform((v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined))
  .catch(undefined);

const queuePosition = nonNegative.transform((v) => (v === undefined ? undefined : Math.floor(v)));

export const statusResponseSchema = z.looseObject({
  status: stateString,
  request_id: z.string().optional().catch(undefined),
  queue_position: queuePosition,
});
export type StatusResponse = z.output<typeof statusResponseSchema>;

export const resultResponseSchema = z.looseObject({
  // The result endpoint says "succeeded" where status says "completed": one word for it in the ledger and to the agent.
  status: stateString.transform((s) => (s.trim().toLowerCase() === 'succeeded' ? 'completed' : s)),
  request_id: z.string().optional().catch(undefined),
  queue_position: queuePosition,
  output: modelOutputSchema.nullish().catch(undefined),
  error: z.unknown().optional(),
  created_at: z.string().optional().catch(undefined),
  finished_at: z.string().optional().catch(undefined),
  /** USD charged, present when asked for with include_cost=true. */
  cost: nonNegative,
});
export type ResultResponse = z.output<typeof resultResponseSchema>;

/** Cancel answers (HTTP 202) `{request_id, status, outcome}`; every field is optional so an odd answer still reads. */
export const cancelResponseSchema = z.looseObject({
  status: stateString.optional().catch(undefined),
  outcome: stateString.optional().catch(undefined),
});
export type CancelResponse = z.output<typeof cancelResponseSchema>;

/**
 * The model as RunComfy's model endpoint describes it: its price (`price` is set only when the unit is understood)
 * and its live input schema (models/schema-drift.ts compares it with ours).
 */
export interface ModelInfo {
  inputSchema?: InputSchema;
  basePriceUsd?: number;
  priceUnit?: string;
  pricingNote?: string;
  price?: { unit: PriceUnit; usd: number };
}

const note = z.string().max(2000).optional().catch(undefined);

export const modelInfoSchema = z
  .looseObject({ base_price_usd: nonNegative, price_unit: note, pricing_note: note, input_schema: inputSchemaJson.optional().catch(undefined) })
  .transform((m): ModelInfo => {
    const unit = m.price_unit === undefined ? undefined : priceBasis(m.price_unit);
    return {
      ...(m.input_schema !== undefined && { inputSchema: m.input_schema }),
      ...(m.base_price_usd !== undefined && { basePriceUsd: m.base_price_usd }),
      ...(m.price_unit !== undefined && { priceUnit: m.price_unit }),
      ...(m.pricing_note !== undefined && { pricingNote: m.pricing_note }),
      ...(unit && m.base_price_usd !== undefined && { price: { unit, usd: m.base_price_usd } }),
    };
  });

const PER_SECOND = new Set(['s', 'sec', 'secs', 'second', 'seconds', 'videosecond', 'videoseconds', 'secondvideo', 'outputsecond', 'secondoutput']);
const PER_IMAGE = new Set(['image', 'images', 'img', 'picture', 'pictures']);
/** One run makes one output: RunComfy's `output`, and what other APIs call a request. */
const PER_OUTPUT = new Set([
  'output',
  'outputs',
  'request',
  'requests',
  'req',
  'run',
  'runs',
  'generation',
  'generations',
  'video',
  'videos',
  'call',
  'calls',
  'job',
  'jobs',
  'prediction',
  'predictions',
]);
const FILLER = new Set(['usd', 'us', 'per', 'each', 'a', 'an', 'one', '1', 'of']);

/**
 * What a price unit means, in RunComfy's words: per second of output, per image, per output (a request), or unknown.
 * Spellings vary ("second", "per_second", "USD/s", "per request"...); anything
 * with another quantity in it ("per 5 seconds", "minute") stays unknown, so a
 * price is never guessed.
 */
export function priceBasis(unit: string): PriceUnit | undefined {
  const word = unit
    .toLowerCase()
    .split(/[\s$/_.-]+/)
    .filter((w) => w && !FILLER.has(w))
    .join('');
  if (PER_SECOND.has(word)) return 'second';
  if (PER_IMAGE.has(word)) return 'image';
  if (PER_OUTPUT.has(word)) return 'output';
  return undefined;
}

/** The account's balance as RunComfy's core API answers it (GET /prod/v2/balance); 0 or negative when spent. */
export interface Balance {
  usd: number;
  /** As sent ("USD"); RunComfy's wallet is in US dollars. */
  currency: string;
}

/** A number, sent as one or as a numeric string, of either sign. */
const signed = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

export const balanceSchema = z
  .looseObject({
    balance_usd: signed.optional(),
    balance_microdollars: signed.pipe(z.int()).optional(),
    currency: z.string().trim().min(1).max(16).optional().catch(undefined),
  })
  .refine((b) => b.balance_usd !== undefined || b.balance_microdollars !== undefined, { message: 'neither balance_usd nor balance_microdollars' })
  // Microdollars are exact where a USD figure may have been rounded.
  .transform((b): Balance => ({ usd: b.balance_microdollars !== undefined ? b.balance_microdollars / 1e6 : b.balance_usd!, currency: b.currency ?? 'USD' }));

/** One error answer of RunComfy, from whichever of its two error shapes it came in. */
export interface UpstreamError {
  /** As sent, as a string: "400004". */
  code: string;
  message?: string;
  detail?: string;
}

const errorCode = z.union([z.number(), z.string().trim().min(1).max(64)]).transform(String);
const errorBodySchema = z.looseObject({
  error_code: errorCode.nullish().catch(undefined),
  code: errorCode.nullish().catch(undefined),
  error_message: z.unknown().optional(),
  error: z.unknown().optional(),
  message: z.unknown().optional(),
  detail: z.unknown().optional(),
});

/** Codes that also mean "no error" in some APIs' envelopes. */
const NOT_AN_ERROR = new Set(['0', '200', 'ok', 'success']);

/**
 * RunComfy's error body, `{error_code, error_message, detail?}` or `{code, error}`,
 * if this answer is one, whatever its HTTP status (some of its APIs send errors
 * with HTTP 200). `code` alone is a common word, so it counts only beside an
 * error text or when it looks like an error number (≥ 400).
 */
export function upstreamErrorOf(json: unknown): UpstreamError | undefined {
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return undefined;
  const b = parsed.data;
  const message = errorText(b.error_message) ?? errorText(b.error) ?? errorText(b.message);
  const detail = errorText(b.detail);
  const isError = (c: string | null | undefined): c is string => !!c && !NOT_AN_ERROR.has(c.toLowerCase());
  let code: string | undefined;
  if (isError(b.error_code)) code = b.error_code;
  else if (isError(b.code) && (message !== undefined || Number(b.code) >= 400)) code = b.code;
  if (code === undefined) return undefined;
  return { code, ...(message !== undefined && { message }), ...(detail !== undefined && detail !== message && { detail }) };
}
