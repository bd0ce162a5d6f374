/**
 * RunComfy documents only URL inputs; local images go to it inline as data:
 * URIs, as its own ComfyUI nodes send them. Should it refuse those, the error
 * says so plainly and what to do instead.
 */
import { KlingError, isKlingError } from '../errors.js';
import { isDataUri } from '../model/kling-o1.js';

// Words of a refusal about the form of an input, not about its content or the account.
const ABOUT_URLS = /\burls?\b|\buris?\b|https?:\/\/|\bdata:|base64|\bscheme\b/i;

/** Rewrites a submit error when inline images were sent and RunComfy's 4xx answer is about URLs (or the body's size). */
export function explainUrlRequired(err: unknown, sent: readonly string[]): unknown {
  if (!isKlingError(err) || !sent.some(isDataUri)) return err;
  const status = err.extra.httpStatus;
  if (status === undefined || status < 400 || status >= 500) return err;
  if (!(status === 413 || ((err.code === 'upstream_validation' || err.code === 'upstream_bad_response') && ABOUT_URLS.test(err.message)))) return err;
  return new KlingError(
    'upstream_validation',
    'RunComfy refused the local image(s), which are sent inline as data: URIs, and needs a URL: upload each local image somewhere public and give its https:// URL instead. ' +
      `Nothing was billed: the request was rejected before a job existed.\n${err.message}`,
    { ...err.extra, cause: err },
  );
}
