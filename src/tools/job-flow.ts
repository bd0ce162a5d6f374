/** The steps the job tools share: pay for a clip, wait then collect, and turn the outcome into the reply. */
import type { JobFacts } from '../jobs/jobs.js';
import type { JobInput } from '../ledger/records.js';
import { hasSound } from '../models/clip.js';
import type { AnyModel, ModelInputBase } from '../models/model.js';
import { MIN_SAVE_MS } from '../util/deadline.js';
import type { JobCall } from './call.js';
import { jobView, type JobView } from './job-view.js';
import type { ToolReply } from '../calls/respond.js';

/** Has one clip of `model` approved (priced, within the spend limit, confirmed when it is a big spend) and submits it once. */
export async function submitClip(call: JobCall, model: AnyModel, input: ModelInputBase, recordAs?: JobInput) {
  const what = `a ${String(input.duration)} s clip${hasSound(model, input) ? ' with sound' : ''}`;
  const work = { model, input: recordAs ?? input };
  const [clip] = (await call.approval.approve(what, [work], call.consent)).items;
  const sub = await call.jobs.submit(input, { model, recordAs, estimateUsd: clip!.estimateUsd, what, signal: call.signal });
  return { ...sub, estimateUsd: clip!.estimateUsd };
}

/**
 * Waits (while the call's deadline allows) for the job to end, then reads its
 * result; the outputs are recorded and saved when it completed.
 */
export async function waitAndCollect(call: JobCall, requestId: string, download: boolean): Promise<JobFacts> {
  const { jobs, deadline, signal, progress } = call;
  if (deadline.canWait()) {
    const outcome = await jobs.wait(requestId, { until: 'end', budgetMs: deadline.remainingMs(), signal, progress });
    // Not done in time: the last status is the answer; reading the result now would only spend time the client lacks.
    if (outcome.timedOut) return jobs.facts(requestId, outcome.last, true);
  }
  // Saving gets what is left of the wait (at least a few seconds), or the default wait when the call did not wait.
  const saveMs = deadline.budgetMs > 0 ? deadline.atLeast(MIN_SAVE_MS) : Math.max(MIN_SAVE_MS, call.app.config.maxWaitS * 1000 - deadline.elapsedMs());
  return jobs.collect(requestId, download, signal, saveMs);
}

/** The reply of a call that asked for the video: a job that failed upstream is a tool error (with its full view). */
export function videoReply(facts: JobFacts, waitS: number): ToolReply<JobView> {
  const reply = jobView(facts, waitS);
  return facts.phase === 'failed' ? { ...reply, isError: true } : reply;
}
