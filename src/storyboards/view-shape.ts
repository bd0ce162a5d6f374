/**
 * The storyboard view's shape: what the storyboard tools answer (their output schema) and its parts. The view itself
 * (view.ts) loads on the first call that shows a board: no start needs it.
 */
import { z } from 'zod';
import { filmSchema, savedFileSchema } from '../ledger/records.js';
import { modelOutputSchema } from '../models/output.js';
import { costSchema, usdOrNull } from '../calls/reply-shapes.js';
import type { BoardStatus } from './shots.js';

const BOARD_STATUSES = ['planned', 'running', 'completed', 'needs_attention', 'cancelled'] as const satisfies readonly BoardStatus[];

export const takeViewSchema = z.object({
  take: z.number().describe('take number, per board, stable'),
  request_id: z.string().optional(),
  status: z.string().describe('outcome_unknown, submitted (not checked since), or the job state (in_queue, in_progress, completed, failed, cancelled)'),
  cost: costSchema.optional(),
  file: savedFileSchema.optional().describe('the saved clip'),
});

export const shotViewSchema = z.object({
  index: z.number().describe('shot number, 1 = first'),
  request_id: z.string().optional().describe('the job rendering this shot, once submitted'),
  status: z
    .string()
    .describe(
      'not_submitted, submitting, outcome_unknown, submitted (not checked since), or the job state (in_queue, in_progress, completed, failed, cancelled)',
    ),
  done: z.boolean(),
  prompt: z.string(),
  duration: z.number(),
  model: z.string().describe('the engine (RunComfy model id)'),
  sound: z.boolean().describe('whether the clip has sound of its own'),
  output: modelOutputSchema.optional(),
  files: z.array(savedFileSchema).optional().describe('the saved clip'),
  error: z.string().optional(),
  cost: costSchema.optional(),
  earlier_request_ids: z.array(z.string()).optional().describe('jobs of this shot that it replaced (resubmitted after failing)'),
  take: z.number().optional().describe('the take of the board this shot shows, once it has one'),
  source: z.enum(['rendered', 'reused']).describe('rendered for this cut, or a take made before it reused'),
  reason: z.string().optional().describe('why the shot was reused or rendered when its cut was made ("prompt changed", "re-roll", …)'),
  keyframe_ids: z.object({ start: z.string().optional(), end: z.string().optional() }).optional().describe("its frames' kf-… ids, where given so"),
  takes: z.array(takeViewSchema).describe("every take of the board with this shot's prompt, duration and frames (and those of its slot), oldest first"),
});

export const boardViewShape = {
  storyboard_id: z.string(),
  title: z.string().optional(),
  status: z
    .enum(BOARD_STATUSES)
    .describe(
      'planned (shots left to submit), running, completed (every shot), needs_attention (a shot failed, was cancelled or its submission is unknown), cancelled',
    ),
  shots: z.array(shotViewSchema),
  cut: z.number().describe('the cut shown: 1 is the original plan, each accepted revision the next'),
  cuts: z.number().describe('how many cuts the board has (kling://storyboards/{id} shows them all)'),
  film: filmSchema.nullable().describe('the stitched film, once every shot is done and the clips could be joined'),
  film_error: z.string().optional().describe('why the clips could not be joined (they are kept)'),
  sheet: savedFileSchema.optional().describe('contact sheet: the keyframes in order with shot numbers'),
  cost: costSchema.describe("the current cut's cost, as costs.cut"),
  costs: z
    .object({
      this_call: z
        .object({
          estimate_usd: usdOrNull().describe('expected cost of the renders this call submitted (0: it rendered nothing; null: price unknown)'),
          renders: z.number().describe('how many renders this call submitted'),
        })
        .optional()
        .describe("this call's new work (absent where no call made any, as in the storyboard resource)"),
      cut: costSchema.describe("the current cut: its shots' takes expected, and charged so far (with the takes they replaced)"),
      board: z
        .object({
          charged_usd: z.number().describe('charged so far for every take of every cut (0 until RunComfy reports a charge)'),
          takes: z.number().describe('how many takes the board has run'),
          cuts: z.number(),
        })
        .describe('the whole board so far'),
    })
    .describe('what the work costs, in three scopes: this call, the current cut, the whole board'),
  warnings: z.array(z.string()).describe('cuts and aspect-ratio differences found when the board was checked'),
  next_step: z.string(),
};
export type BoardView = z.output<z.ZodObject<typeof boardViewShape>>;
export type ShotView = z.output<typeof shotViewSchema>;
export type TakeView = z.output<typeof takeViewSchema>;
