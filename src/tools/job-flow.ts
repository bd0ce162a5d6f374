/** The steps the job tools share: wait then collect, view a snapshot, keep the request_id in errors. */
import type { AppContext } from '../context.js';
import { KlingError } from '../errors.js';
import type { Jobs } from '../jobs/jobs.js';
import type { ProgressSink } from '../polling/progress.js';
import type { StatusSnapshot } from '../polling/wait.js';
import { jobView, type JobFacts, type JobView } from './job-view.js';
import type { ToolReply } from './respond.js';

/** Saving a result always gets at least this long, even when the wait used up the budget. */
const MIN_SAVE_MS = 5_000;

/**
 * Waits (within budgetMs) for the job to end, then reads its result; the
 * outputs are recorded and saved when it completed.
 */
export async function waitAndCollect(
  app: AppContext,
  jobs: Jobs,
  requestId: string,
  o: { budgetMs: number; download: boolean; signal: AbortSignal; progress?: ProgressSink },
): Promise<JobFacts> {
  const started = app.clock.now();
  if (o.budgetMs > 0) {
    const outcome = await jobs.wait(requestId, { until: 'end', budgetMs: o.budgetMs, signal: o.signal, progress: o.progress });
    // Not done in time: the last status is the answer; reading the result now would only spend time the client lacks.
    if (outcome.timedOut) return factsFromSnapshot(app, requestId, outcome.last, true);
  }
  // Saving gets what is left of the budget (at least a few seconds), or the default wait when the call did not wait.
  const left = (o.budgetMs > 0 ? o.budgetMs : app.config.maxWaitS * 1000) - (app.clock.now() - started);
  const c = await jobs.collect(requestId, o.download, o.signal, Math.max(MIN_SAVE_MS, left));
  const job = await app.ledger.get(requestId);
  return {
    requestId,
    status: c.result.status,
    phase: c.phase,
    queuePosition: c.result.queue_position,
    output: c.result.output ?? undefined,
    files: c.files,
    submittedAt: job?.submitted_at,
    now: Date.now(),
    upstreamError: c.result.error,
    downloadError: c.downloadError,
  };
}

/** What is known of a job from a fresh status snapshot plus the ledger (outputs and files seen before). */
export async function factsFromSnapshot(app: AppContext, requestId: string, snap: StatusSnapshot, waitedOut?: boolean): Promise<JobFacts> {
  const job = await app.ledger.get(requestId);
  return {
    requestId,
    status: snap.status,
    phase: snap.phase,
    queuePosition: snap.queuePosition,
    output: job?.output,
    files: job?.files,
    submittedAt: job?.submitted_at,
    now: Date.now(),
    waitedOut,
  };
}

/** The reply of a call that asked for the video: a job that failed upstream is a tool error (with its full view). */
export function videoReply(facts: JobFacts): ToolReply<JobView> {
  const reply = jobView(facts);
  return facts.phase === 'failed' ? { ...reply, isError: true } : reply;
}

/** After a job exists upstream, every error must still name it, so the paid request_id is never lost. */
export function withRequestId(err: unknown, requestId: string): unknown {
  if (!(err instanceof KlingError) || err.extra.requestId || err.code === 'aborted') return err;
  return new KlingError(
    err.code,
    `${err.message}\nThe job itself was submitted and keeps running: call check_status or get_result with request_id "${requestId}".`,
    { ...err.extra, requestId },
  );
}
