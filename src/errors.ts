/**
 * Typed errors of kling-o1-mcp. Each carries a stable code an agent can branch
 * on and a message that says what to do next. calls/respond.ts is the one place
 * they become MCP tool errors.
 */
export type ErrorCode =
  | 'missing_token'
  /** A setting in the environment is malformed; the server runs but does nothing until it is fixed. */
  | 'bad_config'
  | 'unauthorized'
  | 'insufficient_credits'
  | 'not_found'
  | 'forbidden'
  | 'invalid_model'
  | 'invalid_request_id'
  | 'invalid_input'
  | 'image_rejected'
  | 'image_unreachable'
  /** A model publishes an image rule this server cannot read: its images are refused, not judged without it. */
  | 'unknown_image_rule'
  | 'upstream_validation'
  /** RunComfy's live input schema of a model differs from this server's copy in what a request sends: nothing is sent. */
  | 'model_changed'
  | 'rate_limited'
  | 'upstream_unavailable'
  | 'upstream_bad_response'
  /** A completed job's output holds nothing of the kind its model makes (no video from a video model). */
  | 'output_missing'
  /** RunComfy answered with an error code this server does not know. */
  | 'upstream_error'
  | 'network'
  | 'submit_outcome_unknown'
  | 'download_failed'
  | 'state_unavailable'
  | 'spend_limit'
  | 'price_unknown'
  | 'declined'
  /** A big spend on a client that cannot ask: the answer is a quote; call again with its confirm_quote. */
  | 'confirmation_required'
  /** One message over the stdio transport's cap (transport.ts): not read, nothing submitted. */
  | 'request_too_large'
  | 'storyboard_not_found'
  /** A kf-… or st-… id this server did not make, or made by a job that failed or has not finished. */
  | 'asset_not_found'
  | 'media_unreadable'
  | 'stitch_mismatch'
  | 'stitch_failed'
  | 'internal'
  | 'aborted';

export class KlingError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: {
      requestId?: string;
      /** Every paid job the failed call had already created (a board's shots): none may be lost from the answer. */
      requestIds?: string[];
      httpStatus?: number;
      /** Seconds the server asked us to wait (Retry-After). */
      retryAfterS?: number;
      /** Whether repeating the same request may succeed. */
      retryable?: boolean;
      /** A quote for a spend the client could not be asked about (costs/quote.ts). */
      quote?: { token: string; expiresAt: number; estimateUsd: number | undefined };
      cause?: unknown;
    } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'KlingError';
  }
}

export function isKlingError(e: unknown, code?: ErrorCode): e is KlingError {
  return e instanceof KlingError && (code === undefined || e.code === code);
}

/** The request_ids an error names, single and grouped, without repeats. */
export function requestIdsOf(e: KlingError): string[] {
  return [...new Set([...(e.extra.requestId ? [e.extra.requestId] : []), ...(e.extra.requestIds ?? [])])];
}

/** A failure that is not one of ours (a bug, or a system error we did not foresee), kept as the cause for the log. */
export function unexpectedError(err: unknown): KlingError {
  const what = err instanceof Error ? err.message : String(err);
  return new KlingError('internal', `Unexpected internal error: ${what}. This is a bug in kling-o1-mcp; the details are in its log.`, { cause: err });
}

/** The error a client's cancellation becomes, wherever it is noticed. */
export function abortError(cause?: unknown): KlingError {
  return new KlingError('aborted', 'The call was cancelled by the client.', cause === undefined ? {} : { cause });
}

/** Where the token goes, per client: the missing-token and refused-token errors both end with it. */
export const TOKEN_SETUP =
  'Claude Desktop extension: Settings → Extensions → Kling O1 video (RunComfy) → RunComfy API token. ' +
  'JSON config (claude_desktop_config.json, .mcp.json, Cursor, VS Code): the "env" block of this server. ' +
  // A name can be added only once: a server already added is removed first.
  'Claude Code: `claude mcp remove kling-o1`, then `claude mcp add kling-o1 -e RUNCOMFY_API_TOKEN=... -- node /absolute/path/to/kling-o1-mcp/dist/server.js`.';

export const MISSING_TOKEN_MESSAGE = `RUNCOMFY_API_TOKEN is not set. Create an API token in your RunComfy profile (Profile → API keys) and give it to this server, then restart it. ${TOKEN_SETUP}`;

/** After jobs exist upstream, every error must still name them, so no paid request_id is ever lost. */
export function withRequestIds(caught: unknown, requestIds: string[]): unknown {
  if (requestIds.length === 0) return caught;
  const err = caught instanceof KlingError ? caught : unexpectedError(caught);
  if (err.code === 'aborted') return err;
  const missing = requestIds.filter((id) => !(err.extra.requestIds ?? []).includes(id) && err.extra.requestId !== id);
  if (missing.length === 0) return err;
  const which =
    requestIds.length === 1
      ? `The job itself was submitted and keeps running: call check_status or get_result with request_id "${requestIds[0]}".`
      : `The jobs were submitted and keep running: ${requestIds.join(', ')}.`;
  return new KlingError(err.code, `${err.message}\n${which}`, { ...err.extra, requestIds: [...(err.extra.requestIds ?? []), ...missing] });
}
