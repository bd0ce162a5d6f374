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
    'finish (and be billed); this tool then says so and returns its state.',
  input: {
    request_id: requestIdSchema.describe('The request_id of the job to cancel.'),
  },
  output: { ...jobViewShape, cancelled: z.boolean().describe('true when the job is now cancelled') },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  async handle(args, { app, signal }) {
    const { client, jobs } = await app.upstream();
    let refusal: string | undefined;
    try {
      await client.cancel(args.request_id, signal);
    } catch (err) {
      // A refusal (e.g. the job already runs) is an answer, not a failure: the state below explains it.
      if (!isKlingError(err, 'upstream_validation')) throw err;
      refusal = err.message;
    }
    const snap = await jobs.status(args.request_id, signal);
    const view = jobView(await factsFromSnapshot(app, args.request_id, snap));
    const cancelled = snap.phase === 'cancelled';
    const why: Record<Exclude<Phase, 'cancelled'>, string> = {
      running: `Job ${args.request_id} is ${snap.status} and cannot be cancelled: RunComfy only cancels jobs that are still queued. It will finish and be billed; get_result fetches the video.`,
      completed: `Job ${args.request_id} has already completed; there is nothing to cancel. get_result fetches the video.`,
      failed: `Job ${args.request_id} has already ended (${snap.status}); there is nothing to cancel.`,
      queued: `RunComfy has not confirmed the cancellation yet; the job is still ${snap.status}.${refusal ? ` ${refusal}` : ''} Call cancel again, or check_status shortly.`,
    };
    const text = snap.phase === 'cancelled' ? `Job ${args.request_id} is cancelled; it will not run and produces nothing.` : `${why[snap.phase]}\n${view.text}`;
    return { ...view, text, structured: { ...view.structured, cancelled } };
  },
});
