import { z } from 'zod';
import { promptField } from '../models/fields.js';
import { SOUNDTRACK_SECONDS, soundtrackViewShape } from '../studio/soundtrack-shapes.js';
import { confirmQuoteArg, waitSecondsArg } from './args.js';
import { boardCall } from './call.js';
import { defineJobTool } from './define.js';
import { studioOf } from './studio.js';

export const generateSoundtrack = defineJobTool({
  name: 'generate_soundtrack',
  title: 'Generate a soundtrack (music) for a film',
  description:
    'Makes music on RunComfy (ElevenLabs), as an MP3 a film takes without re-encoding, approved, submitted once, waited for and saved. ' +
    'Answers a soundtrack_id (st-…) for `soundtrack` in the storyboard tools. The same arguments again return the same track at no cost (new: true re-rolls).',
  input: {
    prompt: promptField({
      what: 'describing the music',
      empty: 'describe the music (style, mood, instruments).',
      maxChars: 4000,
      doc: 'Style, mood, instruments.',
    }),
    seconds: z
      .number({ error: 'seconds must be a number.' })
      .optional()
      .describe(`Length, ${SOUNDTRACK_SECONDS.min}–${SOUNDTRACK_SECONDS.max} s. Or give for_storyboard instead.`),
    for_storyboard: z.string({ error: 'for_storyboard must be a storyboard_id.' }).optional().describe("As long as this board's current film."),
    instrumental: z.boolean({ error: 'instrumental must be true or false.' }).optional().describe('No vocals. Default true.'),
    new: z.boolean({ error: 'new must be true or false.' }).optional().describe('Make another even if these arguments made one before (a re-roll).'),
    wait_seconds: waitSecondsArg('How long this call waits for the track.', 'KLING_MCP_MAX_WAIT_S', 'the soundtrack_id and status'),
    confirm_quote: confirmQuoteArg,
  },
  output: soundtrackViewShape,
  // Not idempotent: with new: true each call makes (and pays for) another, so a client must not repeat one on its own.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  waitsByDefault: true,
  async handle(args, call) {
    // Loaded on the first call: a start only lists the tool.
    const { makeSoundtrack, soundtrackText } = await import('../studio/soundtracks.js');
    const view = await makeSoundtrack(studioOf(call), boardCall(call), args);
    return { text: soundtrackText(view, call.app.config.maxWaitS), structured: view };
  },
});
