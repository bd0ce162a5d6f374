/**
 * What the tools do to jobs, with the ledger kept in step: submit (recorded the
 * moment a request_id exists), observe, wait, and collect results to disk.
 */
import { KlingError, abortError, isKlingError } from '../errors.js';
import { declaredRunMs, defaultDuration } from '../models/define.js';
import type { AnyModel, ModelInputBase, OutputKind } from '../models/model.js';
import { outputUrls, type ModelOutput } from '../models/output.js';
import { DEFAULT_MODEL, modelById, requestBody } from '../models/registry.js';
import type { ProgressSink } from '../polling/progress.js';
import type { StatusSnapshot } from '../polling/timeline.js';
import type { WaitOutcome, Waiter } from '../polling/wait.js';
import type { RunComfyClient } from '../runcomfy/client.js';
import { errorText } from '../runcomfy/error-text.js';
import type { ResultResponse } from '../runcomfy/schemas.js';
import { phaseOf, type Phase } from './phase.js';
import { timeoutOn, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { Downloader } from './downloads.js';
import type { BoardRef, JobInput, LedgerEvent, SavedFile } from '../ledger/records.js';
import type { LedgerStore } from '../ledger/store.js';
import { noteEvent, type BoardPlan, type Claimed, type DecideCut, type SubmissionRecord } from './submission-record.js';

export interface SubmitOptions {
  /** The model that runs it (default: DEFAULT_MODEL, what the tools offer when no model is asked for). */
  model?: AnyModel;
  /** What the ledger keeps of the input, when it differs from what is sent (local images). */
  recordAs?: JobInput;
  estimateUsd?: number;
  board?: BoardRef;
  /** The submission in a few words, for a spend-limit refusal ("this 5 s clip"). */
  what: string;
  signal?: AbortSignal;
}

export interface Submission {
  requestId: string;
  at: number;
  status: string;
}

/**
 * What is known of one job at a moment: the ledger's record with RunComfy's
 * latest answer over it. The job tools show it (tools/job-view.ts).
 */
export interface JobFacts {
  requestId: string;
  status: string;
  phase: Phase;
  queuePosition?: number;
  output?: ModelOutput;
  files?: SavedFile[];
  submittedAt?: number;
  /** When the job was first seen ended; elapsed time stops there. */
  endedAt?: number;
  now: number;
  estimateUsd?: number;
  chargedUsd?: number;
  upstreamError?: unknown;
  /** What the job makes, and the model (RunComfy id) that makes it, when the ledger knows the job. */
  kind?: OutputKind;
  model?: string;
  /** Set when saving failed; the remote URLs in `output` still work. */
  downloadError?: string;
  /** The call waited and its budget ran out. */
  waitedOut?: boolean;
}

/** How many past runs of the same clip length must be known before they replace the configured guess. */
const LEARN_AFTER = 3;
/** The median of this many of the newest runs is the expectation. */
const LEARN_FROM = 10;
/** How often an unchanged state is recorded again, so a row can say when it was last seen. */
const CHECK_NOTED_EVERY_MS = 60_000;

/** What Jobs works with. */
export interface JobsDeps {
  client: RunComfyClient;
  waiter: Waiter;
  downloader: Downloader;
  ledger: LedgerStore;
  submissions: SubmissionRecord;
  /** The configured run time per model id and clip length, until the ledger has seen enough runs. */
  expectedRunMs: Record<string, Record<number, number>>;
  clock: Clock;
  log: Logger;
}

export class Jobs {
  private readonly client: RunComfyClient;
  private readonly waiter: Waiter;
  private readonly downloader: Downloader;
  private readonly ledger: LedgerStore;
  private readonly submissions: SubmissionRecord;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly deps: JobsDeps) {
    this.client = deps.client;
    this.waiter = deps.waiter;
    this.downloader = deps.downloader;
    this.ledger = deps.ledger;
    this.submissions = deps.submissions;
    this.clock = deps.clock;
    this.log = deps.log;
  }

  /** Checks the spend limit for a whole storyboard and records its plan, which reserves its shots. */
  planBoard(plan: BoardPlan, what: string): Promise<void> {
    return this.submissions.reserveBoard(plan, what);
  }

  /** Checks the spend limit for a storyboard's new cut (decided in the ledger transaction that records it) and records it; returns its number. */
  planCut(boardId: string, what: string, decide: DecideCut): Promise<number> {
    return this.submissions.reserveCut(boardId, what, decide);
  }

  /**
   * Submits one paid job, once. It is checked against the spend limit and
   * recorded as pending before it is sent (so a crash mid-request is never
   * taken for "never sent"), and recorded under its request_id the moment one
   * exists. `recordAs` is what the ledger keeps of the input (a file path, not its bytes).
   */
  async submit(
    input: ModelInputBase,
    options: SubmitOptions & ({ claim: Claimed['claim'] } | { claimAsset: Claimed['claimAsset'] }),
  ): Promise<Submission | undefined>;
  async submit(input: ModelInputBase, options: SubmitOptions): Promise<Submission>;
  async submit(input: ModelInputBase, options: SubmitOptions & Pick<Claimed, 'claim' | 'claimAsset'>): Promise<Submission | undefined> {
    const model = options.model ?? DEFAULT_MODEL;
    // The input as the model's schema parsed it: its fields are what the ledger keeps of it.
    const recordAs = options.recordAs ?? (input as JobInput);
    const reserved = await this.submissions.reserve(
      {
        model: model.id,
        kind: model.makes,
        price_unit: model.price.unit,
        input: recordAs,
        estimate_usd: options.estimateUsd,
        board: options.board,
        claim: options.claim,
        claimAsset: options.claimAsset,
      },
      options.what,
    );
    // Another call took this storyboard shot (or made this asset) first.
    if (reserved === undefined) return undefined;
    try {
      if (options.signal?.aborted) throw abortError();
      // Not cut short by the client's cancellation: once the request may have left, only its answer tells whether
      // a job (and a charge) exists, so it is waited for and recorded. The HTTP timeout still bounds it.
      const res = await this.client.submit(model.id, requestBody(model, input));
      const at = this.clock.now();
      await this.submissions.submitted(reserved, res.request_id, at);
      const length = typeof input.duration === 'number' ? `${input.duration} s ` : '';
      this.log.info(
        `submitted ${res.request_id} (${length}${model.makes} of ${model.id}${options.board ? `, shot ${options.board.shot} of storyboard ${options.board.id}` : ''})`,
      );
      // RunComfy's submit answer documents no state: unless it gives one (then it is a state seen, and noted, which
      // never throws: the job is recorded and paid for by now), the job is only "submitted" until someone asks.
      if (res.status) await this.note('state', res.request_id, { status: res.status }, at);
      return { requestId: res.request_id, at, status: res.status ?? 'submitted' };
    } catch (err) {
      if (isKlingError(err, 'submit_outcome_unknown')) await this.submissions.unknown(reserved, err.message);
      else await this.submissions.failed(reserved, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /**
   * Asks RunComfy to cancel a job, then reads (and records) its state, which says what happened: RunComfy
   * cancels only queued jobs. An answer without its outcome (a plain 409) is a refusal, kept as `refusal`, not a failure.
   */
  async cancel(requestId: string, signal?: AbortSignal): Promise<{ outcome?: string; refusal?: string; snap: StatusSnapshot }> {
    let outcome: string | undefined;
    let refusal: string | undefined;
    try {
      outcome = (await this.client.cancel(requestId, signal)).outcome;
    } catch (err) {
      if (!isKlingError(err, 'upstream_validation')) throw err;
      refusal = err.message;
    }
    return { outcome, refusal, snap: await this.status(requestId, signal) };
  }

  async status(requestId: string, signal?: AbortSignal): Promise<StatusSnapshot> {
    const snap = await this.waiter.snapshot(requestId, signal);
    await this.observe(requestId, snap);
    return snap;
  }

  async wait(requestId: string, options: { until: 'end' | 'change'; budgetMs: number; signal?: AbortSignal; progress?: ProgressSink }): Promise<WaitOutcome> {
    const job = await this.ledger.job(requestId);
    return this.waiter.wait({
      requestId,
      ...options,
      since: job?.submitted_at,
      earlier: job?.states.map((s) => ({ status: s.status, phase: phaseOf(s.status), queuePosition: s.queue_position, at: s.at })),
      expectedRunMs: await this.expectedRunMs(job?.model ?? DEFAULT_MODEL.id, job?.input?.duration),
      onSnapshot: (snap) => this.observe(requestId, snap),
      onTransientError: (err) => this.log.warn(`${requestId}: still waiting after an upstream error: ${(err as Error).message}`),
    });
  }

  /** What is known of a job from a status snapshot plus the ledger (outputs and files seen before). */
  async facts(requestId: string, snap: StatusSnapshot, waitedOut?: boolean): Promise<JobFacts> {
    return { ...(await this.recorded(requestId)), status: snap.status, phase: snap.phase, queuePosition: snap.queuePosition, waitedOut };
  }

  /**
   * The facts of a job that ended with nothing to save (failed or cancelled), with what only its result says: why it
   * failed, what it was charged (RunComfy's status says neither). Read once and recorded; from the ledger after that.
   * If the result cannot be read now, the facts say what the status did.
   */
  async endedFacts(requestId: string, snap: StatusSnapshot, signal?: AbortSignal): Promise<JobFacts> {
    const job = await this.ledger.job(requestId);
    const reason = job?.errors.find((e) => e.code === 'job_failed');
    if (snap.phase === 'failed' ? reason : job?.charged_usd !== undefined) {
      return { ...(await this.facts(requestId, snap)), ...(reason && { upstreamError: reason.message }) };
    }
    try {
      return await this.collect(requestId, false, signal, 0);
    } catch (err) {
      if (signal?.aborted) throw err;
      this.log.warn(`${requestId}: could not read its result (why it ended, what it was charged): ${(err as Error).message}`);
      return this.facts(requestId, snap);
    }
  }

  /**
   * Reads the result; once completed, records the output and (optionally) saves
   * the media, within saveWithinMs so the call still answers before the client gives up.
   */
  async collect(requestId: string, download: boolean, signal: AbortSignal | undefined, saveWithinMs: number): Promise<JobFacts> {
    const result = await this.client.result(requestId, { includeCost: true }, signal);
    const phase = phaseOf(result.status);
    const { files, downloadError } = await this.keepResult(requestId, result, phase, download, signal, saveWithinMs);
    return {
      ...(await this.recorded(requestId)),
      status: result.status,
      phase,
      queuePosition: result.queue_position,
      output: result.output ?? undefined,
      files,
      upstreamError: result.error,
      downloadError,
    };
  }

  /** What the ledger knows of a job, as of now. */
  private async recorded(requestId: string): Promise<Omit<JobFacts, 'status' | 'phase'>> {
    const job = await this.ledger.job(requestId);
    return {
      requestId,
      kind: job?.kind,
      model: job?.model,
      output: job?.output,
      files: job?.files,
      submittedAt: job?.submitted_at,
      endedAt: job?.ended_at,
      now: this.clock.now(),
      estimateUsd: job?.estimate_usd,
      chargedUsd: job?.charged_usd,
    };
  }

  /** Records what a result says (state, charge, failure, output) and saves its media; returns the saved files. */
  private async keepResult(
    requestId: string,
    result: ResultResponse,
    phase: Phase,
    download: boolean,
    signal: AbortSignal | undefined,
    saveWithinMs: number,
  ): Promise<{ files: SavedFile[]; downloadError?: string }> {
    await this.observe(requestId, { status: result.status, phase, queuePosition: result.queue_position, at: this.clock.now() });
    if (result.cost !== undefined && (await this.ledger.job(requestId))?.charged_usd !== result.cost) {
      await this.note('cost', requestId, { charged_usd: result.cost });
    }
    const job = await this.ledger.job(requestId);
    if (phase === 'failed' && !job?.errors.some((e) => e.code === 'job_failed')) {
      await this.note('error', requestId, { code: 'job_failed', message: errorText(result.error) ?? `RunComfy reported the state "${result.status}".` });
    }
    if (phase !== 'completed' || !result.output) return { files: job?.files ?? [] };
    if (JSON.stringify(job?.output) !== JSON.stringify(result.output)) {
      await this.note('output', requestId, { output: result.output });
    }
    if (job && !outputUrls(result.output).some((u) => u.kind === job.kind)) await this.missing(requestId, job.kind, job.model, result.output);
    if (!download) return { files: job?.files ?? [] };
    const urls = outputUrls(result.output);
    const files: SavedFile[] = [];
    // On the server's clock, like every other wait of a call.
    const budget = timeoutOn(this.clock, Math.ceil(saveWithinMs));
    const saveSignal = signal ? AbortSignal.any([signal, budget.signal]) : budget.signal;
    try {
      for (const [i, { url }] of urls.entries()) {
        const known = job?.files.find((f) => f.url === url);
        const saved = await this.downloader.save(url, urls.length > 1 ? `${requestId}-${i + 1}` : requestId, known, saveSignal);
        if (saved !== known) await this.note('file', requestId, { file: saved });
        files.push(saved);
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      const message = budget.signal.aborted
        ? `Saving did not finish within this call's time (${Math.round(saveWithinMs / 1000)} s).`
        : err instanceof Error
          ? err.message
          : String(err);
      await this.note('error', requestId, { code: 'download_failed', message });
      this.log.warn(`${requestId}: ${message}`);
      return { files, downloadError: message };
    } finally {
      budget.stop();
    }
    return { files };
  }

  /** A completed job whose output lacks what its model makes: recorded once, and a typed failure carrying its request_id. */
  private async missing(requestId: string, kind: OutputKind, model: string, output: ModelOutput): Promise<never> {
    const message =
      `RunComfy reports job ${requestId} completed, but its output holds no ${kind}, which ${model} makes ` +
      `(it holds: ${Object.keys(output).join(', ') || 'nothing'}). Nothing was saved; the job may still be billed: check it on RunComfy's dashboard.`;
    if (!(await this.ledger.job(requestId))?.errors.some((e) => e.code === 'output_missing'))
      await this.note('error', requestId, { code: 'output_missing', message });
    throw new KlingError('output_missing', message, { requestIds: [requestId] });
  }

  /**
   * Expected upstream run time of a model's clip length (model by RunComfy id; no length for a model without
   * durations): learned from the ledger's newest runs once it has seen enough of both, else the setting, else what
   * the model declares for it (or for its default length).
   */
  async expectedRunMs(model: string, duration: number | undefined): Promise<number> {
    const declared = modelById(model) ?? DEFAULT_MODEL;
    const length =
      declared.durations === undefined ? undefined : duration !== undefined && declared.durations.includes(duration) ? duration : defaultDuration(declared);
    const runs = await this.ledger.recentRunsMs(declared.id, length, LEARN_FROM);
    if (runs.length >= LEARN_AFTER) {
      const sorted = runs.sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)]!;
    }
    return (length !== undefined ? this.deps.expectedRunMs[declared.id]?.[length] : undefined) ?? declaredRunMs(declared, length);
  }

  /** Records an event; a failure to write is logged, never thrown (submission-record.ts#noteEvent). */
  private note<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<Extract<LedgerEvent, { t: T }>, 't' | 'id' | 'at'>, at?: number): Promise<void> {
    return noteEvent(this.ledger, this.log, t, id, fields, at ?? this.clock.now());
  }

  private async observe(requestId: string, snap: StatusSnapshot): Promise<void> {
    const job = await this.ledger.job(requestId);
    const last = job?.states.at(-1);
    // An unchanged state is noted again once a minute at most: enough to say when it was last seen (list_jobs), few writes.
    const noted = job?.checked_at ?? last?.at;
    const recent = noted !== undefined && snap.at - noted < CHECK_NOTED_EVERY_MS;
    if (last && last.status === snap.status && last.queue_position === snap.queuePosition && recent) return;
    await this.note('state', requestId, { status: snap.status, queue_position: snap.queuePosition }, snap.at);
  }
}
