import { z } from 'zod';
import { clipName } from '../models/clip.js';
import { DEFAULT_MODEL } from '../models/registry.js';
import { engineClip } from '../preflight/engine.js';
import { explainUrlRequired } from '../preflight/url-required.js';
import { phaseOf } from '../jobs/phase.js';
import { defineJobTool } from './define.js';
import { confirmQuoteArg, downloadArg, waitSecondsArg } from './args.js';
import { clipArgs } from './clip-args.js';
import { withRequestIds } from '../errors.js';
import { submitClip, videoReply, waitAndCollect } from './job-flow.js';
import { jobViewShape } from './job-view.js';

const imageCheck = z.object({ format: z.string(), mime: z.string(), width: z.number(), height: z.number(), bytes: z.number() });
type ImageCheck = z.output<typeof imageCheck>;

export const generateVideo = defineJobTool({
  name: 'generate_video',
  title: 'Generate video from start and end frames',
  description:
    `Makes a video with ${DEFAULT_MODEL.title}, or the engine \`model\` names, that starts at one image and ends at another. Both images are checked first ` +
    '(type, size, pixels, aspect ratio) and nothing is submitted, or billed, if either fails. Then the job is submitted once, ' +
    'recorded, and waited for with progress notifications. If it is not done when wait_seconds runs out, the call returns the ' +
    'request_id and status instead of failing: continue with get_result. Finished videos are saved locally. The answer states ' +
    "the expected cost; the server's spend limit and a confirmation for big spends apply.",
  input: {
    ...clipArgs(),
    wait_seconds: waitSecondsArg(
      'How long this call waits for the video (0 = return right after submitting).',
      'KLING_MCP_MAX_WAIT_S (50 unless the server sets it otherwise)',
    ),
    download: downloadArg,

    confirm_quote: confirmQuoteArg,
  },
  output: {
    ...jobViewShape,
    checks: z.object({ start_image_url: imageCheck, end_image_url: imageCheck.optional() }).optional().describe('what the pre-flight check measured'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  waitsByDefault: true,
  ui: 'player',
  async handle(args, call) {
    const { wait_seconds: _wait, download, confirm_quote: _quote, ...clip } = args;
    const { engine, input } = engineClip(clip);
    // RunComfy's live schema of the engine, as today: its drift refuses, its published frame rules are checked.
    const live = await call.live.check(engine, [{ body: input }], call.signal);
    // Loaded on the first call: a start only lists the tool.
    const { preflightImages } = await import('../preflight/preflight.js');
    const { checks, submit, record, sha256, notes } = await preflightImages(live, input, await call.app.imageSources(), call.signal, (f) =>
      clipName(engine, f),
    );
    // The frames as sent (local ones inline), for a refusal of inline images.
    const sent = Object.keys(checks).map((f) => String(submit[f]));
    const { requestId, at, status, estimateUsd } = await submitClip(call, engine, submit, { ...record, image_sha256: sha256 as Record<string, string> }).catch(
      (err: unknown) => {
        throw explainUrlRequired(err, sent);
      },
    );
    try {
      const facts = call.deadline.canWait()
        ? await waitAndCollect(call, requestId, download)
        : { requestId, status, phase: phaseOf(status), submittedAt: at, now: call.app.clock.now(), estimateUsd };
      const reply = videoReply(facts, call.app.config.maxWaitS);
      // What was measured, by the names the frames were given under.
      const measured = Object.fromEntries(Object.entries(checks).map(([f, c]) => [clipName(engine, f), c])) as { start_image_url: ImageCheck };
      return { ...reply, text: [reply.text, ...notes].join('\n'), structured: { ...reply.structured, checks: measured } };
    } catch (err) {
      throw withRequestIds(err, [requestId]);
    }
  },
});
