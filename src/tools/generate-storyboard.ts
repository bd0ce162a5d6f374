import { z } from 'zod';
import { DEFAULT_MODEL } from '../models/registry.js';
import { finishCut } from '../storyboards/finish.js';
import { BoardProgress } from '../storyboards/progress.js';
import { boardError } from '../storyboards/board-errors.js';
import { startBoard } from '../storyboards/plan.js';
import { boardViewShape } from '../storyboards/view.js';
import { defineJobTool } from './define.js';
import { strictObject } from './strict.js';
import { confirmQuoteArg, downloadArg, soundtrackArg, stitchArg, waitSecondsArg } from './args.js';

export const MAX_SHOTS = 24;

const shotSchema = strictObject(DEFAULT_MODEL.inputShape, 'a shot', 'each shot must be an object with prompt, start_image_url, end_image_url and duration.');

/** The shot list of a board, as generate_storyboard and revise_storyboard take it. */
export function shotsArg<S extends z.ZodType>(shot: S) {
  return z
    .array(shot, { error: 'shots must be a list of shots.' })
    .min(1, { error: 'shots is empty: give at least one shot.' })
    .max(MAX_SHOTS, { error: `shots can hold at most ${MAX_SHOTS} shots; split the film into several storyboards.` });
}

export const titleArg = z
  .string()
  .trim()
  .min(1)
  .max(200, { error: 'title can be at most 200 characters.' })
  .optional()
  .describe('A name for the board, shown in answers and lists.');

/** What a call that makes a film is named, what it waits for and keeps: generate_storyboard's and revise_storyboard's. */
export const filmArgs = {
  title: titleArg,
  soundtrack: soundtrackArg,
  wait_seconds: waitSecondsArg(
    'How long this call waits for the shots it renders.',
    'KLING_MCP_MAX_WAIT_S (50 unless the server sets it otherwise)',
    'the storyboard_id and where each shot stands',
  ),
  download: downloadArg,
  stitch: stitchArg,
  confirm_quote: confirmQuoteArg,
};

/** What the two tools that make a film answer and declare alike. */
export const filmTool = {
  output: boardViewShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  waitsByDefault: true,
  ui: 'player',
} as const;

export const generateStoryboard = defineJobTool({
  name: 'generate_storyboard',
  title: 'Generate a storyboard: many shots, one film',
  description:
    `Makes a film of up to ${MAX_SHOTS} shots with ${DEFAULT_MODEL.title}: each shot goes from its start frame to its end frame (usually shot i ` +
    'ends on the frame shot i+1 starts with). Every distinct frame is checked once before anything is paid for, and one bad ' +
    'frame means nothing is submitted. The whole board is priced, checked against the spend limit and confirmed at once; then ' +
    'the shots are submitted in order and waited for with one progress stream. When every shot is done the clips are joined, ' +
    'without re-encoding, into one MP4 (with the soundtrack, if given), with a contact sheet of the keyframes. If the wait ' +
    'ends first, continue with get_storyboard and the storyboard_id; revise_storyboard changes shots later.',
  input: {
    shots: shotsArg(shotSchema).describe(`The shots in film order (1–${MAX_SHOTS}); each takes the same fields as generate_video, duration defaulting to 5.`),
    ...filmArgs,
  },
  ...filmTool,
  async handle(args, call) {
    const progress = new BoardProgress(call.progress, args.shots.length);
    const { board, sent } = await startBoard(call, args, progress);
    try {
      return await finishCut(call, board, { ...args, sent }, progress);
    } catch (err) {
      throw await boardError(call, board.storyboard_id, err);
    }
  },
});
