import { z } from 'zod';
import { KlingError } from '../errors.js';
import type { Phase } from '../jobs/phase.js';
import { shotOutcomeSchema } from '../storyboards/cancel.js';
import { storyboardIdSchema } from '../storyboards/show.js';
import type { JobCall } from './call.js';
import { defineJobTool } from './define.js';
import { requestIdSchema } from './args.js';
import { jobView, jobViewShape } from './job-view.js';

export const cancel = defineJobTool({
  name: 'cancel',
  title: 'Cancel a queued job or a storyboard',
  description:
    'Cancels a job that is still in the queue (in_queue). RunComfy cannot cancel a job that is already in progress: it will ' +
    'finish (and be billed); this tool then says so (outcome "not_cancellable") and returns its state. Given a storyboard_id ' +
    'instead, it stops the board (no further shots are submitted), cancels every shot of its current cut still queued and reports the rest.',
  input: {
    request_id: requestIdSchema.optional().describe('The request_id of the job to cancel.'),
    storyboard_id: storyboardIdSchema.optional().describe('Or the storyboard to cancel: every queued shot, and no further submissions.'),
  },
  output: {
    ...z.object(jobViewShape).partial().shape,
    cancelled: z.boolean().describe('true when the job (or every unfinished shot of the storyboard) is now cancelled'),
    outcome: z
      .string()
      .optional()
      .describe('RunComfy\'s answer: "cancelled", or "not_cancellable" (the job is running and will be billed, or has already ended)'),
    storyboard: z
      .object({ storyboard_id: z.string(), shots: z.array(shotOutcomeSchema) })
      .optional()
      .describe('per shot, when a storyboard was cancelled'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  waitsByDefault: false,
  handle(args, call) {
    if ((args.request_id === undefined) === (args.storyboard_id === undefined)) {
      throw new KlingError('invalid_input', 'Give either request_id (one job) or storyboard_id (a whole storyboard), not both and not neither.');
    }
    if (args.storyboard_id !== undefined) return call.boards.cancel(args.storyboard_id, call.signal);
    return cancelJob(call, args.request_id!);
  },
});

async function cancelJob(call: JobCall, id: string) {
  const { outcome, refusal, snap } = await call.jobs.cancel(id, call.signal);
  // A cancelled job's result says what RunComfy charged for it (nothing, for a job cancelled in its queue).
  const facts = snap.phase === 'cancelled' ? await call.jobs.endedFacts(id, snap, call.signal) : await call.jobs.facts(id, snap);
  const view = jobView(facts, call.app.config.maxWaitS);
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
  return { ...view, text, structured: { ...view.structured, cancelled: snap.phase === 'cancelled', ...(outcome && { outcome }) } };
}
