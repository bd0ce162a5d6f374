/**
 * HTTP client of the RunComfy Model API (submit, status, result, cancel).
 * It knows HTTP, auth and retries; nothing of MCP.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { KlingError, MISSING_TOKEN_MESSAGE } from '../errors.js';
import { DEFAULT_RETRY, parseRetryAfter, retryVerdictOf, withRetry, type RetryPolicy, type RetryVerdict } from '../http/retry.js';
import { RateLimiter } from '../http/rate-limit.js';
import { networkCode, neverReachedServer } from '../http/network-errors.js';
import { MODEL_ID, type ModelInput } from '../model/kling-o1.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import {
  REQUEST_ID_PATTERN,
  cancelResponseSchema,
  errorText,
  resultResponseSchema,
  statusResponseSchema,
  submitResponseSchema,
  type ResultResponse,
  type StatusResponse,
  type SubmitResponse,
} from './schemas.js';

export interface RunComfyClientOptions {
  baseUrl: string;
  token: string | undefined;
  clock?: Clock;
  retry?: RetryPolicy;
  /** Reads per second across every job of this process. */
  readsPerSecond?: number;
  dispatcher?: Dispatcher;
  onRetry?: (what: string, err: unknown, delayMs: number) => void;
}

/**
 * The connection pool for RunComfy and its result storage, with explicit
 * timeouts: connecting, waiting for response headers, and silence within a body.
 */
export function createAgent(timeoutMs = 30_000): Agent {
  return new Agent({
    // Below Node's and most servers' 5 s idle timeout, so we rarely write into a socket the server is closing.
    keepAliveTimeout: 4_000,
    connect: { timeout: Math.min(10_000, timeoutMs) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

export class RunComfyClient {
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly limiter: RateLimiter;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly opts: RunComfyClientOptions) {
    this.clock = opts.clock ?? systemClock;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.limiter = new RateLimiter(opts.readsPerSecond ?? 10, this.clock);
    this.dispatcher = opts.dispatcher ?? createAgent();
  }

  /**
   * Submits one paid job. Sent again only when the first attempt provably never
   * reached the server; any other failure after sending is `submit_outcome_unknown`.
   */
  async submit(input: ModelInput, signal?: AbortSignal): Promise<SubmitResponse> {
    const body = JSON.stringify({
      prompt: input.prompt,
      start_image_url: input.start_image_url,
      end_image_url: input.end_image_url,
      duration: input.duration,
    });
    return this.retrying(
      'submit',
      async () => {
        try {
          return await this.call('POST', `/v1/models/${MODEL_ID}`, submitResponseSchema, { body, signal });
        } catch (err) {
          throw asSubmitError(err);
        }
      },
      // asSubmitError leaves the code 'network' only on failures that never reached the server.
      (err) => ({ retry: err instanceof KlingError && err.code === 'network' && err.extra.retryable === true }),
      signal,
    );
  }

  status(requestId: string, signal?: AbortSignal): Promise<StatusResponse> {
    return this.read('status', requestId, statusResponseSchema, signal);
  }

  result(requestId: string, signal?: AbortSignal): Promise<ResultResponse> {
    return this.read('result', requestId, resultResponseSchema, signal);
  }

  /** Asks RunComfy to cancel; returns the state it reports, if any. */
  async cancel(requestId: string, signal?: AbortSignal): Promise<{ status?: string }> {
    const path = requestPath(requestId, 'cancel');
    // Cancelling twice is harmless, so a cancel retries like a read.
    return this.retrying('cancel', () => this.call('POST', path, cancelResponseSchema, { signal, requestId }), retryVerdictOf, signal);
  }

  private read<S extends z.ZodType>(what: 'status' | 'result', requestId: string, schema: S, signal?: AbortSignal): Promise<z.output<S>> {
    const path = requestPath(requestId, what);
    return this.retrying(
      what,
      async () => {
        await this.limiter.acquire(signal);
        return this.call('GET', path, schema, { signal, requestId });
      },
      retryVerdictOf,
      signal,
    );
  }

  private retrying<T>(what: string, fn: () => Promise<T>, classify: (err: unknown) => RetryVerdict, signal?: AbortSignal): Promise<T> {
    return withRetry(fn, { policy: this.retry, clock: this.clock, signal, classify, onRetry: (err, ms) => this.opts.onRetry?.(what, err, ms) });
  }

  private async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    o: { body?: string; signal?: AbortSignal; requestId?: string },
  ): Promise<z.output<S>> {
    if (!this.opts.token) throw new KlingError('missing_token', MISSING_TOKEN_MESSAGE);
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.opts.baseUrl + path, {
        method,
        headers,
        body: o.body,
        signal: o.signal,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      throw networkError(err, o.signal);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw networkError(err, o.signal, true);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw httpError(res.statusCode, text, o.requestId, parseRetryAfter(res.headers['retry-after'], Date.now()));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KlingError('upstream_bad_response', `RunComfy answered HTTP ${res.statusCode} with a body that is not JSON.`, {
        httpStatus: res.statusCode,
        retryable: true,
        requestId: o.requestId,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new KlingError(
        'upstream_bad_response',
        `RunComfy's answer did not have the expected shape (${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message}).`,
        { httpStatus: res.statusCode, retryable: true, requestId: o.requestId },
      );
    }
    return parsed.data;
  }
}

function requestPath(requestId: string, what: 'status' | 'result' | 'cancel'): string {
  // Checked again here so no caller can put a path into the URL.
  if (!REQUEST_ID_PATTERN.test(requestId)) {
    throw new KlingError('invalid_request_id', `"${requestId.slice(0, 80)}" is not a RunComfy request_id.`);
  }
  return `/v1/requests/${requestId}/${what}`;
}

function networkError(err: unknown, signal: AbortSignal | undefined, afterHeaders = false): KlingError {
  if (signal?.aborted) return new KlingError('aborted', 'The call was cancelled by the client.', { cause: err });
  const code = networkCode(err) ?? 'unknown';
  return new KlingError('network', `Could not talk to RunComfy (${code}). Check your network, or RUNCOMFY_BASE_URL; then try again.`, {
    retryable: true,
    // A reset after the answer began is never a "never reached the server" case.
    cause: afterHeaders ? { code, afterHeaders } : err,
  });
}

/** Narrows retryability of a failed submission: only "never reached the server" may be sent again. */
function asSubmitError(err: unknown): unknown {
  if (!(err instanceof KlingError)) return err;
  if (err.code === 'network') {
    if (neverReachedServer(err.extra.cause)) return err;
    return new KlingError(
      'submit_outcome_unknown',
      'The submission was sent but no answer came back, so it is unknown whether RunComfy accepted (and will bill) it. ' +
        'Do not submit again right away: check your RunComfy dashboard for a new request first. The attempt is recorded (list_jobs).',
      { cause: err.extra.cause },
    );
  }
  if (err.code === 'upstream_unavailable' && (err.extra.httpStatus === 502 || err.extra.httpStatus === 504)) {
    return new KlingError(
      'submit_outcome_unknown',
      `A gateway between us and RunComfy failed (HTTP ${err.extra.httpStatus}) after the submission was sent, so it is unknown whether it was accepted. ` +
        'Check your RunComfy dashboard for a new request before submitting again. The attempt is recorded (list_jobs).',
      { httpStatus: err.extra.httpStatus },
    );
  }
  // Other answers are definite rejections: nothing was accepted, and they are not retried here.
  return new KlingError(err.code, err.message, { ...err.extra, retryable: false });
}

function httpError(status: number, body: string, requestId: string | undefined, retryAfterMs: number | undefined): KlingError {
  let detail: string | undefined;
  try {
    detail = errorText(JSON.parse(body));
  } catch {
    detail = body.trim().slice(0, 300) || undefined;
  }
  const said = detail ? ` RunComfy said: ${detail}` : '';
  const extra = { httpStatus: status, requestId };
  const credits = /credit|balance|insufficient|payment|billing|quota/i.test(detail ?? '');
  if (status === 402 || ((status === 403 || status === 400) && credits)) {
    return new KlingError('insufficient_credits', `RunComfy reports insufficient credits (HTTP ${status}). Top up your RunComfy balance, then try again.${said}`, extra);
  }
  if (status === 401 || status === 403) {
    return new KlingError(
      'unauthorized',
      `RunComfy rejected the API token (HTTP ${status}). Check that RUNCOMFY_API_TOKEN in your MCP client config holds a valid, current RunComfy API token, then restart the server.`,
      extra,
    );
  }
  if (status === 404) {
    return requestId
      ? new KlingError('not_found', `RunComfy knows no request with id ${requestId} (HTTP 404). Check the id (list_jobs shows the jobs this server submitted); requests of another account are not visible with this token.`, extra)
      : new KlingError('upstream_bad_response', `RunComfy answered 404 for the model endpoint. Check RUNCOMFY_BASE_URL.${said}`, extra);
  }
  if (status === 400 || status === 409 || status === 422) {
    return new KlingError('upstream_validation', `RunComfy rejected the request (HTTP ${status}).${said || ' No reason was given.'}`, extra);
  }
  if (status === 429) {
    const wait = retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined;
    return new KlingError('rate_limited', `RunComfy is rate limiting requests (HTTP 429).${wait !== undefined ? ` Try again in ${wait} s.` : ' Try again in a minute.'}`, {
      ...extra,
      retryable: true,
      retryAfterS: wait,
    });
  }
  if (status >= 500) {
    return new KlingError('upstream_unavailable', `RunComfy is having trouble (HTTP ${status}). Try again in a few minutes.${said}`, {
      ...extra,
      retryable: true,
      retryAfterS: retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined,
    });
  }
  return new KlingError('upstream_bad_response', `RunComfy answered HTTP ${status}, which this server does not expect.${said}`, extra);
}
