import { z } from 'zod';
import { isKlingError } from '../errors.js';
import { defineTool } from './define.js';
import type { Phase } from '../runcomfy/schemas.js';
import { requestIdSchema } from './args.js';
import { factsFromSnapshot } from './job-flow.js';
import { jobView, jobViewShape } from './job-view.js';

export const cancel = defineTool({
  name: 'cancel',
  title: 'Cancel a queued job',
  description:
    'Cancels a job that is still in the queue (in_queue). RunComfy cannot cancel a job that is already in progress: it will ' +
    'finish (and be billed); this tool then says so (outcome "not_cancellable") and returns its state.',
  input: {
    request_id: requestIdSchema.describe('The request_id of the job to cancel.'),
  },
  output: {
    ...jobViewShape,
    cancelled: z.boolean().describe('true when the job is now cancelled'),
    outcome: z
      .string()
      .optional()
      .describe('RunComfy\'s answer: "cancelled", or "not_cancellable" (the job is running and will be billed, or has already ended)'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  async handle(args, { app, signal }) {
    const { client, jobs } = await app.upstream();
    let outcome: string | undefined;
    let refusal: string | undefined;
    try {
      outcome = (await client.cancel(args.request_id, signal)).outcome;
    } catch (err) {
      // An answer without RunComfy's outcome (e.g. a plain 409) is a refusal, not a failure: the state below explains it.
      if (!isKlingError(err, 'upstream_validation')) throw err;
      refusal = err.message;
    }
    const snap = await jobs.status(args.request_id, signal);
    const view = jobView(await factsFromSnapshot(app, args.request_id, snap));
    const cancelled = snap.phase === 'cancelled';
    const id = args.request_id;
    const why: Record<Exclude<Phase, 'cancelled'>, string> = {
      running: `Job ${id} is ${snap.status} and cannot be cancelled: RunComfy only cancels jobs that are still queued. It will finish and be billed; get_result fetches the video.`,
      completed: `Job ${id} has already finished (${snap.status}); there is nothing to cancel. get_result fetches the video.`,
      failed: `Job ${id} has already ended (${snap.status}); there is nothing to cancel.`,
      queued:
        outcome === 'not_cancellable'
          ? `RunComfy says job ${id} can no longer be cancelled (not_cancellable), though it still reports ${snap.status}: it is starting, will finish and be billed. get_result fetches the video.`
          : `RunComfy has not confirmed the cancellation yet; the job is still ${snap.status}.${refusal ? ` ${refusal}` : ''} Call cancel again, or check_status shortly.`,
    };
    const text = snap.phase === 'cancelled' ? `Job ${id} is cancelled; it will not run, produces nothing and is not billed.` : `${why[snap.phase]}\n${view.text}`;
    return { ...view, text, structured: { ...view.structured, cancelled, ...(outcome && { outcome }) } };
  },
});
