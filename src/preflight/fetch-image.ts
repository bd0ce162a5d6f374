/**
 * Downloads one candidate image the way RunComfy would, but defensively: only
 * allowed URLs, redirects re-checked (at most 3), a byte cap while streaming and
 * a total time cap.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { KlingError, abortError } from '../errors.js';
import { discard, networkCode } from '../http/network-errors.js';
import { guardedLookup, parseImageUrl, type UrlPolicy } from './url-policy.js';

export const MAX_REDIRECTS = 3;

export interface FetchedImage {
  buffer: Buffer;
  /** The body was longer than the fetch's maxBytes (or announced so); buffer holds only the start, if anything. */
  tooLarge: boolean;
  /** Bytes known to exist: the full length, the announced length, or what was read before stopping. */
  bytes: number;
  /** False when reading stopped at the cap: the file has at least `bytes` bytes. */
  bytesExact: boolean;
  contentType: string | undefined;
}

export interface ImageFetcherOptions extends UrlPolicy {
  timeoutMs: number;
}

export class ImageFetcher {
  private readonly agent: Dispatcher;

  constructor(private readonly opts: ImageFetcherOptions) {
    this.agent = new Agent({
      connect: { timeout: 10_000, lookup: guardedLookup(opts) },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  }

  /** Reads at most `maxBytes` (the field's size limit): past it, reading stops and the image is too large. */
  async fetch(label: string, rawUrl: string, maxBytes: number, signal?: AbortSignal): Promise<FetchedImage> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let url = parseImageUrl(label, rawUrl, this.opts);
    for (let hop = 0; ; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: 'GET',
          dispatcher: this.agent,
          signal: combined,
          headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1', 'user-agent': 'kling-o1-mcp (pre-flight image check)' },
        });
      } catch (err) {
        throw this.fetchError(label, url, err, signal, timeout);
      }
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        discard(res.body);
        if (hop >= MAX_REDIRECTS) {
          throw new KlingError('image_unreachable', `${label}: more than ${MAX_REDIRECTS} redirects; give the file's final URL.`);
        }
        const location = Array.isArray(res.headers.location) ? res.headers.location[0]! : res.headers.location;
        url = parseImageUrl(label, new URL(location, url).toString(), this.opts);
        continue;
      }
      if (res.statusCode !== 200) {
        discard(res.body);
        throw new KlingError(
          'image_unreachable',
          `${label}: fetching ${shortUrl(url)} answered HTTP ${res.statusCode}. The URL must be publicly reachable without login or cookies.`,
        );
      }
      const contentType = header(res.headers['content-type']);
      const announced = Number(header(res.headers['content-length']));
      if (Number.isFinite(announced) && announced > maxBytes) {
        discard(res.body);
        return { buffer: Buffer.alloc(0), tooLarge: true, bytes: announced, bytesExact: true, contentType };
      }
      return this.readCapped(label, url, res, maxBytes, contentType, signal, timeout);
    }
  }

  private async readCapped(
    label: string,
    url: URL,
    res: Dispatcher.ResponseData,
    maxBytes: number,
    contentType: string | undefined,
    signal: AbortSignal | undefined,
    timeout: AbortSignal,
  ): Promise<FetchedImage> {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        total += buf.length;
        if (total > maxBytes) {
          chunks.push(buf);
          discard(res.body);
          return { buffer: Buffer.concat(chunks), tooLarge: true, bytes: total, bytesExact: false, contentType };
        }
        chunks.push(buf);
      }
    } catch (err) {
      throw this.fetchError(label, url, err, signal, timeout);
    }
    return { buffer: Buffer.concat(chunks), tooLarge: false, bytes: total, bytesExact: true, contentType };
  }

  private fetchError(label: string, url: URL, err: unknown, signal: AbortSignal | undefined, timeout: AbortSignal): KlingError {
    if (signal?.aborted) return abortError(err);
    if (timeout.aborted) {
      return new KlingError(
        'image_unreachable',
        `${label}: ${shortUrl(url)} did not deliver the file within ${Math.round(this.opts.timeoutMs / 1000)} s. Use a faster, stable host.`,
      );
    }
    const code = networkCode(err);
    if (code === 'EPRIVATEADDRESS') return new KlingError('invalid_input', `${label}: ${(err as Error).message}`);
    const why =
      code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `the host ${url.hostname} does not resolve` : `the connection failed (${code ?? 'network error'})`;
    return new KlingError('image_unreachable', `${label}: could not fetch ${shortUrl(url)}: ${why}. The URL must be publicly reachable.`);
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function shortUrl(url: URL): string {
  const s = `${url.origin}${url.pathname}`;
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}
