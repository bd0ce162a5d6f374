/**
 * Turns job snapshots into MCP progress notifications whose progress value
 * strictly increases, as the spec requires, even while the job's state stands
 * still. The curve approaches 100 but only reaches it when the job ends.
 */
import type { StatusSnapshot } from './wait.js';

export interface ProgressUpdate {
  progress: number;
  total: number;
  message: string;
}

export type ProgressSink = (p: ProgressUpdate) => void | Promise<void>;

export class ProgressTracker {
  private last = 0;

  constructor(
    private readonly sink: ProgressSink | undefined,
    private readonly startedAt: number,
    private readonly expectedTotalMs: number,
  ) {}

  async report(snap: StatusSnapshot, done: boolean): Promise<void> {
    if (!this.sink) return;
    const elapsedMs = Math.max(0, snap.at - this.startedAt);
    const curve = 100 * (1 - Math.exp(-elapsedMs / Math.max(1, this.expectedTotalMs)));
    let progress = done ? 100 : Math.min(99.9, Math.round(curve * 10) / 10);
    if (progress <= this.last) progress = Math.round((this.last + 0.01) * 100) / 100;
    if (!done && progress >= 100) return; // nothing left to say without claiming completion
    this.last = progress;
    const where = snap.queuePosition !== undefined && snap.phase === 'queued' ? ` (queue position ${snap.queuePosition})` : '';
    await this.sink({ progress, total: 100, message: `${snap.status}${where} · ${Math.round(elapsedMs / 1000)} s elapsed` });
  }
}
