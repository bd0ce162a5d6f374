/**
 * RunComfy's error answers as typed errors whose messages say what to do.
 * Its error codes decide first, whatever HTTP status they came with (400 to
 * 404, or even 200); the HTTP status decides only for answers without a code.
 */
import { KlingError, TOKEN_SETUP } from '../errors.js';
import { errorText } from './error-text.js';
import { upstreamErrorOf, type UpstreamError } from './schemas.js';

/** Which of RunComfy's two hosts answered: the Model API, or the core API with the account's balance. */
export type Api = 'model' | 'account';

/** The setting that says where each API lives: what to check when it cannot be reached or has no such endpoint. */
export const API_SETTING: Record<Api, string> = { model: 'RUNCOMFY_BASE_URL', account: 'RUNCOMFY_ACCOUNT_BASE_URL' };

export interface AnswerContext {
  httpStatus: number;
  /** Default: the Model API. */
  api?: Api;
  /** The job the call was about; undefined for submissions and the model endpoint. */
  requestId?: string;
  /** The model the call was about (its RunComfy id): set for submissions and the model endpoint. */
  model?: string;
  retryAfterMs?: number;
}

const TOKEN_ADVICE =
  'Check that RUNCOMFY_API_TOKEN in your MCP client config holds a valid, current RunComfy API token of an active account ' +
  `(Profile → API keys), then restart the server. ${TOKEN_SETUP}`;
const TOP_UP = 'Top up your RunComfy balance, then try again.';

/** The documented codes. Each message names the cause and the fix; RunComfy's own words are appended. */
const KNOWN_CODES: Record<string, (a: AnswerContext) => KlingError> = {
  '400001': (a) =>
    new KlingError(
      'invalid_model',
      `RunComfy does not recognise the model id${a.model ? ` "${a.model}"` : ''} (error 400001). Check that RUNCOMFY_BASE_URL is the RunComfy Model API ` +
        '(https://model-api.runcomfy.net, no path after it) and that RunComfy still offers this model.',
      extraOf(a),
    ),
  '400002': (a) => new KlingError('insufficient_credits', `Your RunComfy account has no remaining balance (error 400002). ${TOP_UP}`, extraOf(a)),
  '400004': (a) =>
    new KlingError(
      'unauthorized',
      `RunComfy rejected the API token (error 400004): it is missing, wrong or expired, or the account is inactive. ${TOKEN_ADVICE}`,
      extraOf(a),
    ),
  '403001': (a) =>
    new KlingError(
      'forbidden',
      `${a.requestId ? `Request ${a.requestId}` : 'This request'} belongs to another RunComfy user (error 403001), so this RUNCOMFY_API_TOKEN cannot see it. ` +
        'Use the token of the account that submitted it, or check the request_id (list_jobs shows the jobs this server submitted).',
      extraOf(a),
    ),
  '404001': (a) => notFound(a, 'error 404001'),
};

/** The error an answer carries, or undefined when it carries none (then its shape decides). */
export function answerError(json: unknown, a: AnswerContext): KlingError | undefined {
  const err = upstreamErrorOf(json);
  return err && codeError(err, a);
}

function codeError(err: UpstreamError, a: AnswerContext): KlingError {
  const said = saidOf(err);
  const known = KNOWN_CODES[err.code]?.(a);
  if (known) return new KlingError(known.code, `${known.message}${said}`, known.extra);
  // An unknown code on a 429 or 5xx most likely means the load or outage that status means: reads may retry it.
  // It stays an error-code answer, so a submission that got it is still a definite rejection.
  const passing = a.httpStatus === 429 || a.httpStatus >= 500;
  const waitS = a.retryAfterMs !== undefined ? Math.ceil(a.retryAfterMs / 1000) : undefined;
  return new KlingError(
    'upstream_error',
    `RunComfy refused the request with error ${err.code}${a.httpStatus === 200 ? '' : ` (HTTP ${a.httpStatus})`}, a code this server does not know.${said || ' No reason was given.'} ` +
      (passing ? 'Try again in a few minutes.' : 'If it persists, contact RunComfy support with that code.'),
    { ...extraOf(a), ...(passing && { retryable: true, retryAfterS: waitS }) },
  );
}

function saidOf(err: UpstreamError): string {
  const words = wordsOf(err);
  return words ? ` RunComfy said: ${words}` : '';
}

function wordsOf(err: UpstreamError): string | undefined {
  return [err.message, err.detail].filter(Boolean).join(' — ') || undefined;
}

function extraOf(a: AnswerContext): { httpStatus: number; requestId?: string } {
  return { httpStatus: a.httpStatus, ...(a.requestId && { requestId: a.requestId }) };
}

function notFound(a: AnswerContext, how: string, said = ''): KlingError {
  if (!a.requestId) {
    const endpoint = a.api === 'account' ? "the account's balance" : 'the model endpoint';
    return new KlingError('not_found', `RunComfy answered "not found" (${how}) for ${endpoint}. Check ${API_SETTING[a.api ?? 'model']}.${said}`, extraOf(a));
  }
  return new KlingError(
    'not_found',
    `RunComfy has no request ${a.requestId} (${how}): it does not exist, was deleted, or has expired. ` +
      'If the job is old, it can no longer be fetched from RunComfy: results are kept only for a limited time. ' +
      'list_jobs shows the jobs this server submitted and the files it saved locally. Requests of another account are not visible with this token.',
    extraOf(a),
  );
}

/** The text of an answer's body, for messages: its error text if it is JSON, else its first characters. */
export function bodyText(body: string): string | undefined {
  try {
    return errorText(JSON.parse(body));
  } catch {
    return body.trim().slice(0, 300) || undefined;
  }
}

/** The error of an answer without an error code: its HTTP status and whatever text it has decide. */
export function httpError(detail: string | undefined, a: AnswerContext): KlingError {
  const status = a.httpStatus;
  const said = detail ? ` RunComfy said: ${detail}` : '';
  const extra = extraOf(a);
  const credits = /credit|balance|insufficient|payment|billing|quota/i.test(detail ?? '');
  if (status === 402 || ((status === 403 || status === 400) && credits)) {
    return new KlingError('insufficient_credits', `RunComfy reports insufficient credits (HTTP ${status}). ${TOP_UP}${said}`, extra);
  }
  if (status === 401 || status === 403) {
    return new KlingError('unauthorized', `RunComfy rejected the API token (HTTP ${status}). ${TOKEN_ADVICE}`, extra);
  }
  if (status === 404) return notFound(a, 'HTTP 404', said);
  if (status === 400 || status === 409 || status === 422) {
    return new KlingError('upstream_validation', `RunComfy rejected the request (HTTP ${status}).${said || ' No reason was given.'}`, extra);
  }
  const waitS = a.retryAfterMs !== undefined ? Math.ceil(a.retryAfterMs / 1000) : undefined;
  if (status === 429) {
    return new KlingError(
      'rate_limited',
      `RunComfy is rate limiting requests (HTTP 429).${waitS !== undefined ? ` Try again in ${waitS} s.` : ' Try again in a minute.'}`,
      {
        ...extra,
        retryable: true,
        retryAfterS: waitS,
      },
    );
  }
  if (status >= 500) {
    return new KlingError('upstream_unavailable', `RunComfy is having trouble (HTTP ${status}). Try again in a few minutes.${said}`, {
      ...extra,
      retryable: true,
      retryAfterS: waitS,
    });
  }
  return new KlingError('upstream_bad_response', `RunComfy answered HTTP ${status}, which this server does not expect.${said}`, extra);
}
