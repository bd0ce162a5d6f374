/**
 * What the tools do to jobs, with the ledger kept in step: submit (recorded the
 * moment a request_id exists), observe, wait, and collect results to disk.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { isKlingError } from '../errors.js';
import { outputUrls, type Duration, type ModelInput } from '../model/kling-o1.js';
import type { ProgressSink } from '../polling/progress.js';
import type { StatusSnapshot, WaitOutcome, Waiter } from '../polling/wait.js';
import type { RunComfyClient } from '../runcomfy/client.js';
import { phaseOf, type Phase, type ResultResponse } from '../runcomfy/schemas.js';
import type { Logger } from '../util/log.js';
import type { Downloader } from './downloads.js';
import type { JobRecord, Ledger, LedgerEvent, SavedFile } from './ledger.js';

export interface Collected {
  result: ResultResponse;
  phase: Phase;
  files: SavedFile[];
  /** Set when saving failed; the remote URLs in `result.output` still work. */
  downloadError?: string;
}

/** How many past runs of the same clip length must be known before they replace the configured guess. */
const LEARN_AFTER = 3;

export class Jobs {
  constructor(
    private readonly client: RunComfyClient,
    private readonly waiter: Waiter,
    private readonly downloader: Downloader,
    private readonly ledger: Ledger,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /** Submits once and records the request_id before anything else happens. */
  async submit(input: ModelInput, signal?: AbortSignal): Promise<{ requestId: string; at: number; status: string }> {
    try {
      const res = await this.client.submit(input, signal);
      const at = Date.now();
      await this.note('submitted', res.request_id, { input }, at);
      this.log.info(`submitted ${res.request_id} (${input.duration} s clip)`);
      // A new job is queued; RunComfy may say so itself.
      return { requestId: res.request_id, at, status: res.status ?? 'in_queue' };
    } catch (err) {
      if (isKlingError(err, 'submit_outcome_unknown')) {
        const localId = `unknown-${Date.now()}-${randomBytes(3).toString('hex')}`;
        await this.note('submit_unknown', localId, { input, error: err.message });
      }
      throw err;
    }
  }

  async status(requestId: string, signal?: AbortSignal): Promise<StatusSnapshot> {
    const snap = await this.waiter.snapshot(requestId, signal);
    await this.observe(requestId, snap);
    return snap;
  }

  async wait(
    requestId: string,
    o: { until: 'end' | 'change'; budgetMs: number; signal?: AbortSignal; progress?: ProgressSink },
  ): Promise<WaitOutcome> {
    const job = await this.ledger.get(requestId);
    return this.waiter.wait({
      requestId,
      ...o,
      since: job?.submitted_at,
      expectedRunMs: this.expectedRunMs((job?.input?.duration as Duration | undefined) ?? 5),
      onSnapshot: (snap) => this.observe(requestId, snap),
      onTransientError: (err) => this.log.warn(`${requestId}: still waiting after an upstream error: ${(err as Error).message}`),
    });
  }

  /**
   * Reads the result; once completed, records the output and (optionally) saves
   * the media, within saveWithinMs so the call still answers before the client gives up.
   */
  async collect(requestId: string, download: boolean, signal: AbortSignal | undefined, saveWithinMs: number): Promise<Collected> {
    const result = await this.client.result(requestId, { includeCost: true }, signal);
    const phase = phaseOf(result.status);
    await this.observe(requestId, { status: result.status, phase, queuePosition: result.queue_position, at: Date.now() });
    const job = await this.ledger.get(requestId);
    if (phase !== 'completed' || !result.output) return { result, phase, files: job?.files ?? [] };
    if (JSON.stringify(job?.output) !== JSON.stringify(result.output)) {
      await this.note('output', requestId, { output: result.output });
    }
    if (!download) return { result, phase, files: job?.files ?? [] };
    const urls = outputUrls(result.output);
    const files: SavedFile[] = [];
    const budget = AbortSignal.timeout(Math.ceil(saveWithinMs));
    const saveSignal = signal ? AbortSignal.any([signal, budget]) : budget;
    try {
      for (const [i, { url }] of urls.entries()) {
        const known = job?.files.find((f) => f.url === url);
        const saved = await this.downloader.save(url, urls.length > 1 ? `${requestId}-${i + 1}` : requestId, known, saveSignal);
        if (saved !== known) await this.note('file', requestId, { file: saved });
        files.push(saved);
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      const message = budget.aborted
        ? `Saving did not finish within this call's time (${Math.round(saveWithinMs / 1000)} s).`
        : err instanceof Error
          ? err.message
          : String(err);
      await this.note('error', requestId, { code: 'download_failed', message });
      this.log.warn(`${requestId}: ${message}`);
      return { result, phase, files, downloadError: message };
    }
    return { result, phase, files };
  }

  /** Expected upstream run time for a clip length: learned from this ledger once it has seen enough runs. */
  expectedRunMs(duration: Duration): number {
    const runs = this.observedRunsMs(duration);
    if (runs.length < LEARN_AFTER) return this.config.poll.expectedRunMs[duration];
    const sorted = runs.slice(-10).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  private observedRunsMs(duration: Duration): number[] {
    return this.ledger
      .snapshot()
      .filter((j) => j.input?.duration === duration)
      .map(runTimeMs)
      .filter((ms): ms is number => ms !== undefined);
  }

  /**
   * Records an event. A ledger that cannot be written (disk full, folder gone)
   * must not cost the user a job that was paid for: the failure is logged with
   * the request_id, and the call goes on to return that id.
   */
  private async note<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<Extract<LedgerEvent, { t: T }>, 't' | 'id' | 'at'>, at?: number): Promise<void> {
    try {
      await this.ledger.record(t, id, fields, at);
    } catch (err) {
      this.log.error(`could not record "${t}" for request ${id} in the ledger: ${(err as Error).message}`);
    }
  }

  private async observe(requestId: string, snap: StatusSnapshot): Promise<void> {
    const job = await this.ledger.get(requestId);
    const last = job?.states.at(-1);
    if (last && last.status === snap.status && last.queue_position === snap.queuePosition) return;
    await this.note('state', requestId, { status: snap.status, queue_position: snap.queuePosition }, snap.at);
  }
}

/** Run time of a finished job: first seen in progress → first seen completed. */
function runTimeMs(job: JobRecord): number | undefined {
  const started = job.states.find((s) => phaseOf(s.status) === 'running');
  const done = job.states.find((s) => phaseOf(s.status) === 'completed');
  return started && done && done.at > started.at ? done.at - started.at : undefined;
}
