/**
 * Writes a file so that its final name only ever holds a whole, checked file:
 * written under a temporary name beside it, fsynced, checked, then renamed.
 * On any failure the temporary file is removed and the final name untouched.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { makeDir } from '../util/make-dir.js';

const DIGEST_CHUNK = 1 << 20;

export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * `write` fills the temporary path it is given; `check` (optional) reads it
 * back and throws if it is wrong. Returns what `check` returned, with the
 * file's size and sha256.
 */
export async function writeFileAtomically<T = void>(
  finalPath: string,
  write: (tempPath: string) => Promise<void>,
  check?: (tempPath: string) => Promise<T>,
): Promise<WrittenFile & { checked: T }> {
  await makeDir(path.dirname(finalPath));
  const temp = `${finalPath}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await write(temp);
    const fh = await fs.open(temp, 'r');
    await fh.sync().finally(() => fh.close());
    const checked = (check ? await check(temp) : undefined) as T;
    const { bytes, sha256 } = await digest(temp);
    await fs.rename(temp, finalPath);
    return { path: finalPath, bytes, sha256, checked };
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

/** Read through one reused buffer: stream chunks would leave as much garbage as the file is large (a film: tens of MB) until the next GC. */
async function digest(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(DIGEST_CHUNK);
  const fh = await fs.open(file, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, DIGEST_CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
