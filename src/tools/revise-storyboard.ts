import { z } from 'zod';
import { modelInputShape } from '../model/kling-o1.js';
import { boardError } from '../storyboards/board-errors.js';
import { stitchFilm } from '../storyboards/film.js';
import { BoardProgress } from '../storyboards/progress.js';
import { reviseBoard } from '../storyboards/revise.js';
import { settleShots } from '../storyboards/settle.js';
import { atCut } from '../jobs/records.js';
import { standing, storyboardIdSchema } from '../storyboards/show.js';
import { submitShots } from '../storyboards/submit.js';
import { boardView, boardViewShape } from '../storyboards/view.js';
import { defineJobTool } from './define.js';
import { downloadArg, soundtrackArg, stitchArg, waitSecondsArg } from './args.js';
import { MAX_SHOTS, shotsArg, titleArg } from './generate-storyboard.js';

const takeArg = z
  .union([z.literal('new'), z.number().int().min(1)], { error: 'take must be "new" or a take number (a whole number from 1) that this board shows.' })
  .optional()
  .describe(
    'Omit to reuse the newest take with the same prompt, duration and frames (or render one); "new" renders another take (a re-roll); a number picks that take of the board.',
  );

const revisedShotSchema = z.object(
  { ...modelInputShape, take: takeArg },
  { error: 'each shot must be an object with prompt, start_image_url, end_image_url, duration and optionally take.' },
);

export const reviseStoryboard = defineJobTool({
  name: 'revise_storyboard',
  title: 'Revise a storyboard: redo shots, re-cut, add a soundtrack',
  description:
    'Makes a new cut of a storyboard from the whole shot list you want now (same fields as generate_storyboard, plus an ' +
    'optional take per shot). Each shot reuses the newest take of the board with the same prompt, duration and frames ' +
    '(frames compared by their bytes, so a moved or re-hosted image still matches), or is rendered; the answer says which, ' +
    'and why. Insert, remove, reorder, change a prompt or a keyframe: only the renders are checked, priced, confirmed and ' +
    'counted against the spend limit, all or nothing; a pure re-cut submits nothing and costs nothing. The cut gets its own ' +
    'film (<storyboard_id>-cut<n>.mp4, earlier films are kept). Continue with get_storyboard if the wait ends first.',
  input: {
    storyboard_id: storyboardIdSchema,
    shots: shotsArg(revisedShotSchema).describe(`The new cut's shots in film order (1–${MAX_SHOTS}), each as in generate_storyboard, with an optional take.`),
    title: titleArg,
    soundtrack: soundtrackArg,
    wait_seconds: waitSecondsArg(
      'How long this call waits for the new renders before returning where each shot stands.',
      'KLING_MCP_MAX_WAIT_S (50 unless the server sets it otherwise)',
      'the storyboard_id and where each shot stands',
    ),
    download: downloadArg,
    stitch: stitchArg,
  },
  output: boardViewShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  waitsByDefault: true,
  async handle(args, call) {
    const progress = new BoardProgress(call.progress, args.shots.length);
    const { board, checked } = await reviseBoard(call, args, progress);
    try {
      await submitShots(call, board, { resubmit: { failed: false, unknown: false }, checked, progress });
      await settleShots(call, board, { download: args.download || args.stitch, progress });
      if (args.stitch) await stitchFilm(call, board, progress);
      // This revision's cut, as the ledger has it now (a later revision may already be current).
      const now = atCut((await call.app.ledger.board(board.storyboard_id))!, board.cut);
      return boardView(now, standing(call.app, now));
    } catch (err) {
      throw boardError(call, board.storyboard_id, err);
    }
  },
});
