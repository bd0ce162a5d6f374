/**
 * `mkdir -p` that answers: Node's own recursive mkdir can loop forever at full
 * CPU on some paths (under /proc as root it retries ENOENT without end).
 * Creating one level at a time returns the real error at once instead.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function makeDir(dir: string, mode?: number): Promise<void> {
  try {
    await mkdirOne(dir, mode);
  } catch (err) {
    const parent = path.dirname(dir);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw err;
    await makeDir(parent, mode);
    await mkdirOne(dir, mode);
  }
}

/** Creates one directory; one that is already there (made by us or by another process) is fine. */
async function mkdirOne(dir: string, mode?: number): Promise<void> {
  try {
    await fs.mkdir(dir, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await fs.stat(dir)).isDirectory()) throw err;
  }
}
