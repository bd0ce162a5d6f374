/** Arguments shared by the tools, with messages that say what to send; and what the two tools that make a film declare alike. */
import { z } from 'zod';
import { typeError } from '../models/fields.js';
import { REQUEST_ID_PATTERN } from '../runcomfy/ids.js';
import { boardViewShape } from '../storyboards/view-shape.js';

// The client checks ids against the same pattern before they go into a URL; here they are checked before anything runs.
export const requestIdSchema = z
  .string({ error: typeError('request_id', 'a string: the id generate_video returned') })
  .trim()
  .regex(REQUEST_ID_PATTERN, {
    error: 'request_id must be the id generate_video returned (letters, digits, "-" and "_", at most 128 characters).',
  });

export const MAX_WAIT_ARG_S = 3600;

export function waitSecondsArg(meaning: string, defaultText: string, returns = 'the request_id and status') {
  return z
    .number({ error: 'wait_seconds must be a number of seconds.' })
    .int({ error: 'wait_seconds must be a whole number of seconds.' })
    .min(0, { error: 'wait_seconds cannot be negative.' })
    .max(MAX_WAIT_ARG_S, { error: `wait_seconds can be at most ${MAX_WAIT_ARG_S}.` })
    .optional()
    .describe(`${meaning} Default: ${defaultText}. Keep it below your client's request timeout; when the wait ends first, the call still returns ${returns}.`);
}

export const downloadArg = z
  .boolean({ error: 'download must be true or false.' })
  .default(true)
  .describe('Save the finished video into the output folder (KLING_MCP_OUTPUT_DIR) and return a link to the local file. Default true.');

export const stitchArg = z
  .boolean({ error: 'stitch must be true or false.' })
  .default(true)
  .describe(
    "Once every shot is done, join the clips in shot order into one MP4, the cut's film (<storyboard_id>.mp4 for cut 1, <storyboard_id>-cut<n>.mp4 for later cuts; no re-encoding). Stitching saves the clips even with download false. Default true.",
  );

export const confirmQuoteArg = z
  .string({ error: 'confirm_quote must be the token of a quote this server gave.' })
  .max(64, { error: 'confirm_quote must be the token of a quote this server gave.' })
  .optional()
  .describe(
    'Only for clients that cannot ask the user to confirm (no MCP elicitation): a call above KLING_MCP_CONFIRM_ABOVE_USD answers with a quote ' +
      "and submits nothing; once the user agrees, make the same call again with the quote's token here (valid once, for a few minutes).",
  );

export const soundtrackArg = z
  .string({ error: 'soundtrack must be a string: a file path, a file:// URL or an https:// URL of an audio file.' })
  .trim()
  .min(1, { error: 'soundtrack is empty: give a file path or an https:// URL of an AAC (.m4a, .mp4, .aac) or MP3 file.' })
  .optional()
  .describe(
    "A soundtrack for the film: a soundtrack_id (st-…) from generate_soundtrack, or an AAC (.m4a, .mp4, .aac) or MP3 file, as an absolute path (~/ for the home folder) or file:// URL inside the folders local images may come from, or an https:// URL; at most 100 MiB. It is checked before anything is submitted, muxed in without re-encoding and cut at the film's end.",
  );

export const MAX_SHOTS = 24;

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
