import { defineTool } from './define.js';
import { requestIdSchema, waitSecondsArg } from './args.js';
import { factsFromSnapshot } from './job-flow.js';
import { jobView, jobViewShape } from './job-view.js';

export const checkStatus = defineTool({
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
  async handle(args, { app, signal, progress }) {
    const { jobs } = await app.upstream();
    const budgetMs = (args.wait_seconds ?? 0) * 1000;
    const outcome = budgetMs > 0 ? await jobs.wait(args.request_id, { until: 'change', budgetMs, signal, progress }) : undefined;
    const snap = outcome?.last ?? (await jobs.status(args.request_id, signal));
    return jobView(await factsFromSnapshot(app, args.request_id, snap, outcome?.timedOut));
  },
});
