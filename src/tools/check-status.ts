import { defineJobTool } from './define.js';
import { requestIdSchema, waitSecondsArg } from './args.js';
import { jobView, jobViewShape } from './job-view.js';

export const checkStatus = defineJobTool({
  name: 'check_status',
  title: 'Check the state of a job',
  description:
    'Returns the current state of a job (in_queue with its queue position, in_progress, completed, cancelled). With wait_seconds, ' +
    'waits until the state changes or the job ends, sending progress notifications.',
  input: {
    request_id: requestIdSchema.describe('The request_id that generate_video returned (list_jobs shows all known jobs).'),
    wait_seconds: waitSecondsArg('How long to wait for the state to change.', '0 (answer at once)'),
  },
  output: jobViewShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  waitsByDefault: false,
  async handle(args, call) {
    const { jobs, deadline, signal, progress } = call;
    const outcome = deadline.canWait() ? await jobs.wait(args.request_id, { until: 'change', budgetMs: deadline.remainingMs(), signal, progress }) : undefined;
    const snap = outcome?.last ?? (await jobs.status(args.request_id, signal));
    const facts = snap.phase === 'failed' ? await jobs.endedFacts(args.request_id, snap, signal) : await jobs.facts(args.request_id, snap, outcome?.timedOut);
    return jobView(facts, call.app.config.maxWaitS);
  },
});
