/**
 * Which process wrote a ledger entry, and whether it still runs: a pid plus a
 * random instance id, because a restarted container often gives the new
 * server the pid the old one had.
 */
import { randomBytes } from 'node:crypto';

export const PROCESS_INSTANCE = randomBytes(6).toString('hex');

export function isProcessAlive(pid: number, instance: string | undefined): boolean {
  if (pid === process.pid) return instance === undefined || instance === PROCESS_INSTANCE;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that wrote an entry (its `pid` and `instance`, as a pending submission records them) still runs; an entry without a pid is taken as live. */
export function writerAlive(entry: { pid?: number; instance?: string }): boolean {
  return entry.pid === undefined || isProcessAlive(entry.pid, entry.instance);
}
