/**
 * RunComfy documents only URL inputs; local images go to it inline as data:
 * URIs, as its own ComfyUI nodes send them. Should it refuse those, the error
 * says so plainly and what to do instead.
 */
import { KlingError, isKlingError, type ErrorCode } from '../errors.js';
import { isDataUri } from '../models/fields.js';

// Definite rejections of a submission (nothing was created), whatever the HTTP status or error code.
const REJECTIONS: readonly ErrorCode[] = ['upstream_validation', 'upstream_bad_response', 'upstream_error'];
// Words of a refusal about the form of an input, not about its content or the account.
const ABOUT_URLS = /\burls?\b|\buris?\b|https?:\/\/|\bdata:|base64|\bscheme\b/i;

/** Rewrites a submit error when inline images were sent and RunComfy's refusal is about URLs (or the request's size). */
export function explainUrlRequired(err: unknown, sent: readonly string[]): unknown {
  if (!isKlingError(err) || !sent.some(isDataUri) || !REJECTIONS.includes(err.code) || err.extra.retryable) return err;
  if (err.extra.httpStatus !== 413 && !ABOUT_URLS.test(err.message)) return err;
  return new KlingError(
    'upstream_validation',
    'RunComfy refused the local image(s), which are sent inline as data: URIs, and needs a URL: upload each local image somewhere public and give its https:// URL instead. ' +
      `Nothing was billed: the request was rejected before a job existed.\n${err.message}`,
    { ...err.extra, cause: err },
  );
}
