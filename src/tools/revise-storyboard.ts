import { z } from 'zod';
import { storyboardIdSchema } from '../storyboards/show.js';
import { filmArgs, filmTool, MAX_SHOTS, shotsArg } from './args.js';
import { boardCall } from './call.js';
import { shotArgs } from './clip-args.js';
import { defineJobTool } from './define.js';
import { strictObject } from './strict.js';

const takeArg = z
  .union([z.literal('new'), z.number().int().min(1)], { error: 'take must be "new" or a take number (a whole number from 1) that this board shows.' })
  .optional()
  .describe(
    'Omit to reuse the newest take with the same prompt, duration, frames, engine and sound (or render one); "new" renders another take (a re-roll); a number picks that take of the board.',
  );

const revisedShotSchema = strictObject(
  { ...shotArgs(), take: takeArg },
  'a shot',
  'each shot must be an object with prompt, start_image_url, end_image_url and optionally duration, sound, model and take.',
);

export const reviseStoryboard = defineJobTool({
  name: 'revise_storyboard',
  title: 'Revise a storyboard: redo shots, re-cut, add a soundtrack',
  description:
    'Makes a new cut of a storyboard from the whole shot list you want now (same fields as generate_storyboard, plus an ' +
    'optional take per shot). Each shot reuses the newest take of the board with the same prompt, duration, frames, engine and sound ' +
    '(frames compared by their bytes, so a moved or re-hosted image still matches), or is rendered; the answer says which, ' +
    'and why. Insert, remove, reorder, change a prompt or a keyframe: only the renders are checked, priced, confirmed and ' +
    'counted against the spend limit, all or nothing; a pure re-cut submits nothing and costs nothing. The cut gets its own ' +
    'film (<storyboard_id>-cut<n>.mp4, earlier films are kept). Continue with get_storyboard if the wait ends first.',
  input: {
    storyboard_id: storyboardIdSchema,
    shots: shotsArg(revisedShotSchema).describe(`The new cut's shots in film order (1–${MAX_SHOTS}), each as in generate_storyboard, with an optional take.`),
    ...filmArgs,
  },
  ...filmTool,
  handle(args, call) {
    return call.boards.revise(args, boardCall(call));
  },
});
