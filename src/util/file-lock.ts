/**
 * A lock file shared by every process on this machine: created exclusively,
 * removed when done, taken over when its holder has clearly died (older than
 * staleMs). Held only for a read and an append, so waits are short.
 */
import { promises as fs } from 'node:fs';
import { KlingError } from '../errors.js';

export async function withFileLock<T>(file: string, fn: () => Promise<T>, o: { waitMs?: number; staleMs?: number } = {}): Promise<T> {
  const waitMs = o.waitMs ?? 10_000;
  const staleMs = o.staleMs ?? 30_000;
  const giveUpAt = Date.now() + waitMs;
  for (let delay = 5; ; delay = Math.min(100, delay * 2)) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      await handle.write(`${process.pid} ${new Date().toISOString()}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await fs.stat(file).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > staleMs) {
        await fs.rm(file, { force: true });
        continue;
      }
      if (Date.now() > giveUpAt) {
        throw new KlingError(
          'state_unavailable',
          `Another kling-o1-mcp process has held ${file} for over ${Math.round(waitMs / 1000)} s. Try again; if it persists, delete that file.`,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(file, { force: true });
  }
}
