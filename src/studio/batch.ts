/**
 * A batch of assets (keyframes, a soundtrack) made all or nothing: each item
 * whose inputs were made before (or are being made) is that one again, at no
 * cost, unless it asks for a new one; the rest are approved as one spend
 * (priced, within the 24 h limit, confirmed or quoted), then submitted once
 * each (claimed by key in the reserving ledger transaction, so two processes
 * never both pay for the same inputs), waited for on the call's deadline and
 * saved. A batch cut short is resumed by the same call made again.
 */
import { isKlingError, withRequestIds } from '../errors.js';
import { heldBy, type AssetKind } from '../jobs/assets.js';
import { jobPhase, type JobInput, type JobRecord, type PendingSubmission } from '../ledger/records.js';
import type { AnyModel, ModelInputBase } from '../models/model.js';
import type { ProgressSink } from '../polling/progress.js';
import { MIN_SAVE_MS } from '../util/deadline.js';
import { Semaphore } from '../util/semaphore.js';
import type { StudioCall, StudioDeps } from './deps.js';

/** One asset to have: what is sent, and what the ledger keeps (its asset id and key among it). */
export interface AssetWork {
  model: AnyModel;
  send: ModelInputBase;
  record: JobInput & { asset: NonNullable<JobInput['asset']> };
  /** A new one even if these inputs were made before (a re-roll). */
  fresh: boolean;
}

/** Where one item of the batch stands after the call: its asset id and its job (or submission in flight). */
export interface AssetOutcome {
  id: string;
  /** Made before this call (or by another call meanwhile): nothing was paid for it now. */
  reused: boolean;
  job?: JobRecord;
  pending?: PendingSubmission;
}

/** Saving several results at once, but not all 24. */
const saving = new Semaphore(4);

export async function makeAssets(
  deps: StudioDeps,
  call: StudioCall,
  batch: { kind: AssetKind; what: string; work: AssetWork[]; onProgress?: (done: number, total: number, message: string) => void },
): Promise<AssetOutcome[]> {
  const keys = batch.work.map((w) => w.record.asset.key);
  const found = await deps.ledger.assets({ keys });
  const held = batch.work.map((w) => (w.fresh ? undefined : heldBy(found, w.record.asset.key)));
  const toMake = batch.work.flatMap((w, i) => (held[i] ? [] : [{ w, i }]));
  const approved = await deps.approval.approve(
    batch.what,
    toMake.map(({ w }) => ({ model: w.model, input: w.record })),
    call.consent,
    // A picture or a track of unknown price is never made without a yes.
    { askWhenUnknown: true },
  );

  const outcomes: (AssetOutcome & { requestId?: string })[] = batch.work.map((w, i) => reused(held[i]) ?? { id: w.record.asset.id, reused: false });
  const sent: string[] = [];
  for (const [n, { w, i }] of toMake.entries()) {
    const key = w.record.asset.key;
    try {
      const sub = await deps.jobs.submit(w.send, {
        model: w.model,
        recordAs: w.record,
        estimateUsd: approved.items[n]!.estimateUsd,
        what: `${batch.kind} ${i + 1} of ${batch.what}`,
        signal: call.signal,
        claimAsset: (f) => w.fresh || !heldBy(f, key),
      });
      if (sub) {
        sent.push(sub.requestId);
        outcomes[i] = { ...outcomes[i]!, requestId: sub.requestId };
      } else {
        // Another call made these inputs between our look and our claim: that one is this item.
        outcomes[i] = reused(heldBy(await deps.ledger.assets({ keys: [key] }), key)) ?? outcomes[i]!;
      }
    } catch (err) {
      throw withRequestIds(err, [...sent, ...outcomes.flatMap((x) => (x.reused && x.requestId ? [x.requestId] : []))]);
    }
  }

  const ids = [...new Set(outcomes.flatMap((x) => (x.requestId ? [x.requestId] : [])))];
  await settle(deps, call, ids, batch.onProgress);
  return Promise.all(
    outcomes.map(async (x) => {
      const { requestId, ...rest } = x;
      return requestId ? { ...rest, job: await deps.ledger.job(requestId) } : rest;
    }),
  );
}

/** An item already made or in flight: reused under its own asset id. */
function reused(h: JobRecord | PendingSubmission | undefined): (AssetOutcome & { requestId?: string }) | undefined {
  if (!h) return undefined;
  const id = h.input!.asset!.id;
  return 'request_id' in h ? { id, reused: true, requestId: h.request_id } : { id, reused: true, pending: h };
}

/** Waits (on the deadline) for every unfinished job at once, then reads and saves each completed one without a file. */
async function settle(deps: StudioDeps, call: StudioCall, ids: string[], onProgress?: (done: number, total: number, message: string) => void): Promise<void> {
  const unfinished = async () => {
    const jobs = await Promise.all(ids.map((id) => deps.ledger.job(id)));
    return jobs.filter((j): j is JobRecord => !!j && (jobPhase(j) === 'queued' || jobPhase(j) === 'running'));
  };
  const waiting = await unfinished();
  let done = ids.length - waiting.length;
  onProgress?.(done, ids.length, `${done}/${ids.length} made`);
  if (waiting.length > 0 && call.deadline.canWait()) {
    const waits = await Promise.allSettled(
      waiting.map(async (j) => {
        const outcome = await deps.jobs.wait(j.request_id, { until: 'end', budgetMs: call.deadline.remainingMs(), signal: call.signal });
        if (!outcome.timedOut) onProgress?.(++done, ids.length, `${done}/${ids.length} made`);
      }),
    );
    rethrowAbort(waits);
  }
  const toCollect = (await Promise.all(ids.map((id) => deps.ledger.job(id)))).filter(
    (j): j is JobRecord =>
      !!j && ((jobPhase(j) === 'completed' && (j.files.length === 0 || j.charged_usd === undefined)) || (jobPhase(j) === 'failed' && j.errors.length === 0)),
  );
  const saveUntil = deps.clock.now() + call.deadline.atLeast(MIN_SAVE_MS);
  const saves = await Promise.allSettled(
    toCollect.map((j) =>
      saving.run(async () => {
        const left = saveUntil - deps.clock.now();
        if (left > 0) await deps.jobs.collect(j.request_id, true, call.signal, left);
      }, call.signal),
    ),
  );
  rethrowAbort(saves);
  saves.forEach((r, i) => {
    if (r.status === 'rejected') deps.log.warn(`${toCollect[i]!.request_id}: ${(r.reason as Error).message}`);
  });
}

function rethrowAbort(results: PromiseSettledResult<unknown>[]): void {
  const aborted = results.find((r) => r.status === 'rejected' && isKlingError(r.reason, 'aborted'));
  if (aborted) throw (aborted as PromiseRejectedResult).reason;
}

/** The call's progress as one bar over the batch: a sink's value only ever goes up. */
export function batchProgress(sink: ProgressSink | undefined, noun: string): (done: number, total: number, message: string) => void {
  let last = -1;
  return (done, total, message) => {
    if (!sink || total === 0 || done <= last) return;
    last = done;
    void sink({ progress: done, total, message: `${message.replace('made', `${noun} made`)}` });
  };
}
