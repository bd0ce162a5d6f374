/**
 * Saves a finished job's media to the output folder: streamed to a temporary
 * file while hashing, fsynced, then renamed, so no half file ever carries the
 * final name. A file already saved whole is not fetched again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request, type Dispatcher } from 'undici';
import { KlingError, abortError } from '../errors.js';
import { DEFAULT_RETRY, parseRetryAfter, retryVerdictOf, withRetry } from '../http/retry.js';
import { discard, networkCode } from '../http/network-errors.js';
import type { Clock } from '../util/clock.js';
import { EXT_BY_MIME, MIME_BY_EXT, extOf } from '../util/media-types.js';
import type { SavedFile } from '../ledger/records.js';
import { makeDir } from '../util/make-dir.js';

export class Downloader {
  constructor(
    private readonly dir: string,
    private readonly dispatcher: Dispatcher,
    private readonly clock: Clock,
  ) {}

  /**
   * Saves one URL as `<name>.<ext>` unless `known` (from the ledger) shows it is
   * already there whole.
   */
  async save(url: string, name: string, known: SavedFile | undefined, signal?: AbortSignal): Promise<SavedFile> {
    if (known && (await sizeOf(known.path)) === known.bytes) return known;
    await makeDir(this.dir);
    return withRetry(() => this.fetchOnce(url, name, signal), {
      policy: DEFAULT_RETRY,
      clock: this.clock,
      signal,
      classify: retryVerdictOf,
    });
  }

  private async fetchOnce(url: string, name: string, signal?: AbortSignal): Promise<SavedFile> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', dispatcher: this.dispatcher, signal });
    } catch (err) {
      throw failure(`could not connect (${networkCode(err) ?? 'network error'})`, true, signal);
    }
    if (res.statusCode !== 200) {
      discard(res.body);
      const retryable = res.statusCode === 429 || res.statusCode >= 500;
      // Wall time: an HTTP-date Retry-After is a wall-clock moment.
      const after = parseRetryAfter(res.headers['retry-after'], Date.now());
      throw failure(`HTTP ${res.statusCode}`, retryable, signal, after);
    }
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    const ext = extOf(url) ?? EXT_BY_MIME[type] ?? 'bin';
    const finalPath = path.join(this.dir, `${name}.${ext}`);
    const temp = `${finalPath}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      const out = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
      await pipeline(res.body, meter, out, { signal });
      const announced = Number(res.headers['content-length']);
      if (Number.isFinite(announced) && announced !== bytes) throw failure(`the transfer ended after ${bytes} of ${announced} bytes`, true, signal);
      const fh = await fs.open(temp, 'r');
      await fh.sync().finally(() => fh.close());
      await fs.rename(temp, finalPath);
    } catch (err) {
      await fs.rm(temp, { force: true });
      if (err instanceof KlingError) throw err;
      throw failure(`the transfer broke off (${networkCode(err) ?? (err as Error).message})`, true, signal);
    }
    return { url, path: finalPath, bytes, sha256: hash.digest('hex'), mime: MIME_BY_EXT[ext] ?? (type || 'application/octet-stream') };
  }
}

function failure(why: string, retryable: boolean, signal?: AbortSignal, afterMs?: number): KlingError {
  if (signal?.aborted) return abortError();
  return new KlingError('download_failed', `Saving the result failed: ${why}.`, {
    retryable,
    retryAfterS: afterMs !== undefined ? Math.ceil(afterMs / 1000) : undefined,
  });
}

async function sizeOf(p: string): Promise<number | undefined> {
  try {
    return (await fs.stat(p)).size;
  } catch {
    return undefined;
  }
}
