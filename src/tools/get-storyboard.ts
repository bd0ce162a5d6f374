import { z } from 'zod';
import { storyboardIdSchema } from '../storyboards/show.js';
import { boardViewShape } from '../storyboards/view-shape.js';
import { boardCall } from './call.js';
import { defineJobTool } from './define.js';
import { confirmQuoteArg, downloadArg, stitchArg, waitSecondsArg } from './args.js';

export const getStoryboard = defineJobTool({
  name: 'get_storyboard',
  title: 'Continue a storyboard',
  description:
    "Reports every shot of a storyboard's current cut, with every take of each, and moves it on: submits shots of the cut " +
    'that were never submitted (say the server stopped in between), waits for the unfinished ones with progress, saves each ' +
    "finished clip, and stitches the cut's film once every shot is done. With resubmit_failed, it also submits again the shots that failed or were cancelled; " +
    'with resubmit_unknown, those whose submission got no answer (check the dashboard first); under the same spend limit and confirmation.',
  input: {
    storyboard_id: storyboardIdSchema,
    wait_seconds: waitSecondsArg('How long to wait for unfinished shots.', '0 (answer at once)', 'where each shot stands'),
    download: downloadArg,
    stitch: stitchArg,
    resubmit_failed: z
      .boolean({ error: 'resubmit_failed must be true or false.' })
      .default(false)
      .describe('Submit again the shots that failed or were cancelled (only those), under the spend limit and confirmation. Default false.'),
    resubmit_unknown: z
      .boolean({ error: 'resubmit_unknown must be true or false.' })
      .default(false)
      .describe(
        'Also submit again the shots whose submission got no answer (the server was killed, or the connection broke, while it was sent). Check your RunComfy dashboard first: RunComfy may have accepted, and will bill, the first one. Default false.',
      ),
    confirm_quote: confirmQuoteArg,
  },
  output: boardViewShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  waitsByDefault: false,
  ui: 'player',
  handle(args, call) {
    const resubmit = { failed: args.resubmit_failed, unknown: args.resubmit_unknown };
    return call.boards.resume({ ...args, resubmit }, boardCall(call));
  },
});
