import { z } from 'zod';
import { KlingError, isKlingError } from '../errors.js';
import type { Phase } from '../jobs/phase.js';
import { processAlive, shotStates } from '../storyboards/shots.js';
import { loadBoard, storyboardIdSchema } from '../storyboards/show.js';
import type { JobCall } from '../calls/call.js';
import { defineJobTool } from './define.js';
import { requestIdSchema } from './args.js';
import { jobView, jobViewShape } from './job-view.js';

const shotOutcome = z.object({
  index: z.number(),
  request_id: z.string().optional(),
  status: z.string().describe("the shot's state after the attempt"),
  cancelled: z.boolean(),
});

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
      .object({ storyboard_id: z.string(), shots: z.array(shotOutcome) })
      .optional()
      .describe('per shot, when a storyboard was cancelled'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  waitsByDefault: false,
  async handle(args, call) {
    if ((args.request_id === undefined) === (args.storyboard_id === undefined)) {
      throw new KlingError('invalid_input', 'Give either request_id (one job) or storyboard_id (a whole storyboard), not both and not neither.');
    }
    if (args.storyboard_id !== undefined) return cancelBoard(call, args.storyboard_id);
    return cancelJob(call, args.request_id!);
  },
});

/** Asks RunComfy to cancel one job; its state afterwards says what happened. */
async function attempt(call: JobCall, id: string) {
  let outcome: string | undefined;
  let refusal: string | undefined;
  try {
    outcome = (await call.client.cancel(id, call.signal)).outcome;
  } catch (err) {
    // An answer without RunComfy's outcome (e.g. a plain 409) is a refusal, not a failure: the state below explains it.
    if (!isKlingError(err, 'upstream_validation')) throw err;
    refusal = err.message;
  }
  const snap = await call.jobs.status(id, call.signal);
  return { outcome, refusal, snap };
}

async function cancelJob(call: JobCall, id: string) {
  const { outcome, refusal, snap } = await attempt(call, id);
  const view = jobView(await call.jobs.facts(id, snap), call.app.config.maxWaitS);
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

async function cancelBoard(call: JobCall, boardId: string) {
  const board = await loadBoard(call.app, boardId);
  // Closed first, so no other call submits a shot while the queued ones are cancelled.
  if (!board.closed) await call.app.ledger.record('storyboard_closed', boardId, { reason: 'cancelled by the user' }, call.app.clock.now());
  // The current cut's shots: takes of earlier cuts that it does not use keep running (they are paid for, and may be reused).
  const shots = shotStates((await call.app.ledger.slice(boardId))!, processAlive);
  const lines: string[] = [];
  const outcomes = await Promise.all(
    shots.map(async (s) => {
      const id = s.job && !s.job.outcome_unknown ? s.job.request_id : undefined;
      if (!id) return { index: s.index, status: s.phase, cancelled: s.phase === 'not_submitted' };
      if (s.phase !== 'queued') return { index: s.index, request_id: id, status: s.job?.status ?? s.phase, cancelled: s.phase === 'cancelled' };
      // One shot RunComfy cannot be asked about must not hide what happened to the others.
      try {
        const { snap } = await attempt(call, id);
        return { index: s.index, request_id: id, status: snap.status, cancelled: snap.phase === 'cancelled' };
      } catch (err) {
        if (isKlingError(err, 'aborted')) throw err;
        call.app.log.warn(`cancelling shot ${s.index} (${id}) of storyboard ${boardId} failed: ${(err as Error).message}`);
        return { index: s.index, request_id: id, status: s.job?.status ?? 'in_queue', cancelled: false };
      }
    }),
  );
  for (const o of outcomes) {
    const what =
      o.status === 'not_submitted'
        ? 'never submitted; it will not be'
        : o.cancelled
          ? 'cancelled (not billed)'
          : o.status === 'in_progress'
            ? 'already rendering: RunComfy cannot cancel it, it will finish and be billed'
            : o.status === 'outcome_unknown'
              ? 'its submission got no answer: check your RunComfy dashboard'
              : `${o.status}: nothing to cancel`;
    lines.push(`- shot ${o.index}${o.request_id ? ` (${o.request_id})` : ''}: ${what}`);
  }
  const all = outcomes.every((o) => o.cancelled || o.status === 'completed');
  const text = `Storyboard ${boardId} is stopped: no further shots will be submitted.\n${lines.join('\n')}\nget_storyboard shows the board; shots that finish are still saved.`;
  return { structured: { cancelled: all, storyboard: { storyboard_id: boardId, shots: outcomes } }, text };
}
