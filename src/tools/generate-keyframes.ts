import { z } from 'zod';
import { usdOrNull } from '../calls/reply-shapes.js';
import { promptField } from '../models/fields.js';
import { IMAGE_FAMILIES } from '../models/registry.js';
import { familyAspects, DEFAULT_ASPECT, keyframeViewSchema } from '../studio/keyframe-shapes.js';
import { confirmQuoteArg, waitSecondsArg } from './args.js';
import { boardCall } from './call.js';
import { defineJobTool } from './define.js';
import { studioOf } from './studio.js';

/** The most keyframes one call makes: one approval, one wait. */
export const MAX_KEYFRAMES = 24;

const families = IMAGE_FAMILIES.map((f) => `${f.key} (${familyAspects(f).join(', ')})`).join('; ');

const keyframe = z.strictObject({
  prompt: promptField({ what: 'describing the picture', empty: 'describe the picture to make.', maxChars: 4000, doc: 'What the picture shows.' }),
  references: z
    .array(z.string({ error: 'each reference must be a string: a kf-… id or an image' }).trim().min(1, { error: 'a reference is empty.' }), {
      error: 'references must be a list of kf-… ids or images.',
    })
    .optional()
    .describe('Images to keep a character or place the same: kf-… ids of earlier keyframes, or image URLs/paths/data: URIs (at most 10).'),
  new: z.boolean({ error: 'new must be true or false.' }).optional().describe('Make a new one even if these inputs were made before (a re-roll).'),
});

export const generateKeyframes = defineJobTool({
  name: 'generate_keyframes',
  title: 'Generate keyframes (images) for videos and storyboards',
  description:
    'Makes 1–24 still images on RunComfy as one batch: checked, priced and approved all or nothing, each submitted once, ' +
    'waited for and saved. Each answers a keyframe_id (kf-…) usable wherever a frame is, and as a reference that keeps a character ' +
    'the same. The same inputs again return the same keyframe at no cost (new: true re-rolls), so a batch cut short resumes by calling again.',
  input: {
    keyframes: z
      .array(keyframe, { error: 'keyframes must be a list of {prompt, references?, new?}.' })
      .min(1, { error: 'keyframes is empty: give at least one {prompt}.' })
      .max(MAX_KEYFRAMES, { error: `keyframes: at most ${MAX_KEYFRAMES} per call; split the batch.` }),
    aspect_ratio: z.string({ error: 'aspect_ratio must be a string such as "16:9".' }).optional().describe(`Default ${DEFAULT_ASPECT}. By model: ${families}.`),
    resolution: z.string({ error: 'resolution must be a string such as "2K".' }).optional().describe('Seedream: 1K ($0.04) or 2K ($0.08, default).'),
    model: z
      .string({ error: 'model must be a string.' })
      .optional()
      .describe(`Image model family: ${IMAGE_FAMILIES.map((f) => f.key).join(' (default) or ')}, or either endpoint's RunComfy id.`),
    wait_seconds: waitSecondsArg('How long this call waits for the images.', 'KLING_MCP_MAX_WAIT_S', 'the keyframe_ids made so far'),
    confirm_quote: confirmQuoteArg,
  },
  output: {
    model: z.string(),
    keyframes: z.array(keyframeViewSchema),
    cost_usd: usdOrNull().describe('what this call spent (null: price unknown)'),
    done: z.boolean().describe('every keyframe is made (or failed)'),
  },
  // Not idempotent: with new: true each call makes (and pays for) another, so a client must not repeat one on its own.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  ui: 'player',
  waitsByDefault: true,
  async handle(args, call) {
    // Loaded on the first call: a start only lists the tool.
    const { makeKeyframes, keyframesText } = await import('../studio/keyframes.js');
    const reply = await makeKeyframes(studioOf(call), boardCall(call), args);
    return { text: keyframesText(reply, call.app.config.maxWaitS), structured: reply };
  },
});
