/**
 * Shapes of RunComfy's answers, parsed with zod and tolerant of extra fields:
 * we take what we need and never trust the rest.
 */
import { z } from 'zod';
import { modelOutputSchema, typeError } from '../model/kling-o1.js';

/** Ids go into URL paths: letters, digits, '-' and '_' only, so nothing can traverse into another endpoint. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export const requestIdSchema = z
  .string({ error: typeError('request_id', 'a string: the id generate_video returned') })
  .trim()
  .regex(REQUEST_ID_PATTERN, {
    error: 'request_id must be the id generate_video returned (letters, digits, "-" and "_", at most 128 characters).',
  });

const stateString = z.string().min(1).max(64);

export const submitResponseSchema = z.looseObject({
  request_id: z.string().regex(REQUEST_ID_PATTERN),
  status: stateString.optional().catch(undefined),
  status_url: z.string().optional(),
  result_url: z.string().optional(),
  cancel_url: z.string().optional(),
});
export type SubmitResponse = z.output<typeof submitResponseSchema>;

const queuePosition = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .nullish()
  .transform((v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined))
  .catch(undefined);

export const statusResponseSchema = z.looseObject({
  status: stateString,
  request_id: z.string().optional().catch(undefined),
  queue_position: queuePosition,
});
export type StatusResponse = z.output<typeof statusResponseSchema>;

export const resultResponseSchema = z.looseObject({
  status: stateString,
  request_id: z.string().optional().catch(undefined),
  queue_position: queuePosition,
  output: modelOutputSchema.nullish().catch(undefined),
  error: z.unknown().optional(),
  created_at: z.string().optional().catch(undefined),
  finished_at: z.string().optional().catch(undefined),
});
export type ResultResponse = z.output<typeof resultResponseSchema>;

/** Cancel answers vary; all we read is an optional state. */
export const cancelResponseSchema = z.looseObject({
  status: stateString.optional().catch(undefined),
});

export type Phase = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

const TERMINAL_FAILURE = /fail|error|abort|reject|timeout|timed_out|expired|cancel|dead|invalid|stopped|terminated/;

/**
 * What a state string means for us. The documented states map directly; an
 * unknown state that looks terminal is a reported failure, any other unknown
 * state is treated as still running (the wait budget bounds it).
 */
export function phaseOf(state: string): Phase {
  const s = state.trim().toLowerCase();
  switch (s) {
    case 'in_queue':
    case 'queued':
    case 'pending':
      return 'queued';
    case 'in_progress':
    case 'running':
    case 'processing':
    case 'starting':
      return 'running';
    case 'completed':
    case 'succeeded':
    case 'success':
      return 'completed';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
  }
  return TERMINAL_FAILURE.test(s) ? 'failed' : 'running';
}

export function isTerminal(phase: Phase): boolean {
  return phase === 'completed' || phase === 'cancelled' || phase === 'failed';
}

/** The human-readable text of an error value from an upstream body, if any. */
export function errorText(value: unknown): string | undefined {
  if (value == null) return undefined;
  if (typeof value === 'string') return value.slice(0, 500);
  if (Array.isArray(value)) {
    const parts = value.map(errorText).filter(Boolean);
    return parts.length ? parts.join('; ').slice(0, 500) : undefined;
  }
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of ['detail', 'message', 'msg', 'error', 'error_message', 'reason']) {
      const t = errorText(o[key]);
      if (t) return t;
    }
    return JSON.stringify(value).slice(0, 500);
  }
  return String(value).slice(0, 500);
}
