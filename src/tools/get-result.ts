import { defineJobTool } from './define.js';
import { downloadArg, requestIdSchema, waitSecondsArg } from './args.js';
import { videoReply, waitAndCollect } from './job-flow.js';
import { jobViewShape } from './job-view.js';

export const getResult = defineJobTool({
  name: 'get_result',
  title: 'Get the video of a job',
  description:
    'Returns the outputs (video URL, and the saved local file) of a completed job, with what RunComfy charged. If the job is not ' +
    'done, returns its current state, not an error; pass wait_seconds to wait for it with progress notifications.',
  input: {
    request_id: requestIdSchema.describe('The request_id that generate_video returned (list_jobs shows all known jobs).'),
    wait_seconds: waitSecondsArg('How long to wait for the job to finish.', '0 (answer at once)'),
    download: downloadArg,
  },
  output: jobViewShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  waitsByDefault: false,
  ui: 'player',
  async handle(args, call) {
    return videoReply(await waitAndCollect(call, args.request_id, args.download), call.app.config.maxWaitS);
  },
});
