/**
 * HTTP client of the RunComfy Model API (submit, status, result, cancel, and a
 * model's price), for any model by its id, and of the account's balance on
 * RunComfy's core API. It knows HTTP, auth and retries; nothing of MCP, and
 * nothing of what a model's fields mean.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { KlingError, MISSING_TOKEN_MESSAGE, abortError } from '../errors.js';
import { DEFAULT_RETRY, parseRetryAfter, retryVerdictOf, withRetry, type RetryPolicy, type RetryVerdict } from '../http/retry.js';
import { RateLimiter } from '../http/rate-limit.js';
import { networkCode, neverReachedServer } from '../http/network-errors.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { MODEL_ID_PATTERN, REQUEST_ID_PATTERN } from './ids.js';
import {
  balanceSchema,
  cancelResponseSchema,
  modelInfoSchema,
  resultResponseSchema,
  statusResponseSchema,
  submitResponseSchema,
  type Balance,
  type CancelResponse,
  type ModelInfo,
  type ResultResponse,
  type StatusResponse,
  type SubmitResponse,
} from './schemas.js';
import { API_SETTING, answerError, bodyText, httpError, type Api } from './upstream-errors.js';

export interface RunComfyClientOptions {
  /** The Model API (RUNCOMFY_BASE_URL). */
  baseUrl: string;
  /** RunComfy's core API, where the balance is (RUNCOMFY_ACCOUNT_BASE_URL). */
  accountBaseUrl: string;
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
   * Submits one paid job of `model` (its RunComfy id). Sent again only when the first attempt provably never
   * reached the server; any other failure after sending is `submit_outcome_unknown`.
   */
  async submit(model: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<SubmitResponse> {
    // Async, and awaited here, so a bad model id rejects like any other failure instead of throwing at the caller.
    const path = modelPath(model);
    const body = JSON.stringify(input);
    return await this.retrying(
      'submit',
      async () => {
        try {
          return await this.call('POST', path, submitResponseSchema, { body, signal, model });
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
    return this.read('status', requestPath(requestId, 'status'), statusResponseSchema, signal, { requestId });
  }

  /** The job's result, or its current state while it is not done; `includeCost` asks RunComfy for the USD charged. */
  result(requestId: string, ask: { includeCost?: boolean } = {}, signal?: AbortSignal): Promise<ResultResponse> {
    const path = requestPath(requestId, 'result') + (ask.includeCost ? '?include_cost=true' : '');
    return this.read('result', path, resultResponseSchema, signal, { requestId });
  }

  /**
   * Asks RunComfy to cancel. `outcome` is "cancelled" (it was queued) or
   * "not_cancellable" (it runs, and will be billed, or has already ended).
   */
  async cancel(requestId: string, signal?: AbortSignal): Promise<CancelResponse> {
    const path = requestPath(requestId, 'cancel');
    // Cancelling twice is harmless, so a cancel retries like a read. A bad id rejects (as in submit).
    return await this.retrying('cancel', () => this.call('POST', path, cancelResponseSchema, { signal, requestId }), retryVerdictOf, signal);
  }

  /** A model as RunComfy publishes it: its price (base_price_usd, price_unit, pricing_note) and live input schema. */
  async modelInfo(model: string, signal?: AbortSignal): Promise<ModelInfo> {
    // A bad model id rejects (as in submit).
    return await this.read('model info', modelPath(model), modelInfoSchema, signal, { model });
  }

  /**
   * The account's balance, spending nothing: RunComfy's own integrations check a token with it. It may be 0 or
   * negative (one wallet pays for every RunComfy product). A refused token is `unauthorized`, as on the Model API.
   */
  balance(signal?: AbortSignal): Promise<Balance> {
    return this.read('balance', '/prod/v2/balance', balanceSchema, signal, { api: 'account' });
  }

  private read<S extends z.ZodType>(
    what: string,
    path: string,
    schema: S,
    signal?: AbortSignal,
    about: { requestId?: string; model?: string; api?: Api } = {},
  ): Promise<z.output<S>> {
    return this.retrying(
      what,
      async () => {
        await this.limiter.acquire(signal);
        return this.call('GET', path, schema, { signal, ...about });
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
    sending: { body?: string; signal?: AbortSignal; requestId?: string; model?: string; api?: Api },
  ): Promise<z.output<S>> {
    const api = sending.api ?? 'model';
    if (!this.opts.token) throw new KlingError('missing_token', MISSING_TOKEN_MESSAGE);
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' };
    if (sending.body !== undefined) headers['content-type'] = 'application/json';
    let res: Dispatcher.ResponseData;
    try {
      res = await request((api === 'account' ? this.opts.accountBaseUrl : this.opts.baseUrl) + path, {
        method,
        headers,
        body: sending.body,
        signal: sending.signal,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      throw networkError(err, api, sending.signal);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw networkError(err, api, sending.signal, true);
    }
    const answer = {
      httpStatus: res.statusCode,
      requestId: sending.requestId,
      model: sending.model,
      api,
      retryAfterMs: parseRetryAfter(res.headers['retry-after'], Date.now()),
    };
    let json: unknown;
    let isJson = true;
    try {
      json = JSON.parse(text);
    } catch {
      isJson = false;
    }
    // An error code decides before the HTTP status, and before any success shape is trusted: some answers carry it with HTTP 200.
    const coded = isJson ? answerError(json, answer) : undefined;
    if (coded) throw coded;
    if (res.statusCode < 200 || res.statusCode >= 300) throw httpError(bodyText(text), answer);
    if (!isJson) {
      throw new KlingError('upstream_bad_response', `RunComfy answered HTTP ${res.statusCode} with a body that is not JSON.`, {
        httpStatus: res.statusCode,
        retryable: true,
        requestId: sending.requestId,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new KlingError(
        'upstream_bad_response',
        `RunComfy's answer did not have the expected shape (${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message}).`,
        { httpStatus: res.statusCode, retryable: true, requestId: sending.requestId },
      );
    }
    return parsed.data;
  }
}

function modelPath(model: string): string {
  // Checked here, as request ids are, so no caller can put another path into the URL.
  if (!MODEL_ID_PATTERN.test(model)) throw new KlingError('invalid_model', `"${model.slice(0, 80)}" is not a RunComfy model id.`);
  return `/v1/models/${model}`;
}

function requestPath(requestId: string, what: 'status' | 'result' | 'cancel'): string {
  // Checked again here so no caller can put a path into the URL.
  if (!REQUEST_ID_PATTERN.test(requestId)) {
    throw new KlingError('invalid_request_id', `"${requestId.slice(0, 80)}" is not a RunComfy request_id.`);
  }
  return `/v1/requests/${requestId}/${what}`;
}

function networkError(err: unknown, api: Api, signal: AbortSignal | undefined, afterHeaders = false): KlingError {
  if (signal?.aborted) return abortError(err);
  const code = networkCode(err) ?? 'unknown';
  return new KlingError('network', `Could not talk to RunComfy (${code}). Check your network, or ${API_SETTING[api]}; then try again.`, {
    retryable: true,
    // A reset after the answer began is never a "never reached the server" case.
    cause: afterHeaders ? { code, afterHeaders } : err,
  });
}

const CHECK_DASHBOARD = 'Do not submit again right away: check your RunComfy dashboard for a new request first. The attempt is recorded (list_jobs).';

/** Narrows retryability of a failed submission: only "never reached the server" may be sent again. */
function asSubmitError(err: unknown): unknown {
  if (!(err instanceof KlingError)) return err;
  if (err.code === 'network') {
    if (neverReachedServer(err.extra.cause)) return err;
    return new KlingError(
      'submit_outcome_unknown',
      'The submission was sent but no answer came back, so it is unknown whether RunComfy accepted (and will bill) it. ' + CHECK_DASHBOARD,
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
  const status = err.extra.httpStatus;
  if (err.code === 'upstream_bad_response' && status !== undefined && status >= 200 && status < 300) {
    // A success status without an error code means it was most likely accepted; only its request_id is unreadable.
    return new KlingError(
      'submit_outcome_unknown',
      `RunComfy answered the submission (HTTP ${status}) without a readable request_id, so it probably accepted (and will bill) it. ` + CHECK_DASHBOARD,
      { httpStatus: status },
    );
  }
  // Other answers, error codes included, are definite rejections: nothing was accepted, and they are not retried here.
  return new KlingError(err.code, err.message, { ...err.extra, retryable: false });
}
