/**
 * How a job is shown to the agent: one structured shape shared by the job
 * tools, and a text that says plainly what happened and what to call next.
 */
import type { ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DEFAULT_MAX_WAIT_S } from '../config.js';
import { OUTPUT_KINDS, type OutputKind } from '../models/model.js';
import { modelOutputSchema, outputUrls } from '../models/output.js';
import { modelById } from '../models/registry.js';
import { formatBytes, formatUsd, roundUsd } from '../util/format.js';
import { mimeFromUrl } from '../util/media-types.js';
import type { JobFacts } from '../jobs/jobs.js';
import { savedFileSchema } from '../ledger/records.js';
import { errorText } from '../runcomfy/error-text.js';
import { isTerminal } from '../jobs/phase.js';
import { costSchema, fileLink } from '../calls/reply-shapes.js';
import type { ToolReply } from '../calls/respond.js';

export const jobViewShape = {
  request_id: z.string(),
  status: z
    .string()
    .describe("RunComfy's state string: in_queue, in_progress, completed, cancelled (or another state it reports); submitted: sent, not checked yet"),
  done: z.boolean().describe('true once the job has ended (completed, cancelled or failed)'),
  kind: z.enum(OUTPUT_KINDS).optional().describe('what the job makes: video, image or audio'),
  model: z.string().optional().describe('the model that runs it (RunComfy id)'),
  queue_position: z.number().optional(),
  output: modelOutputSchema.optional().describe('the API output object, once completed'),
  files: z.array(savedFileSchema).optional().describe('local copies of the outputs'),
  elapsed_s: z.number().optional().describe('seconds since submission, when known'),
  error: z.string().optional().describe('why the job failed, as RunComfy reported it'),
  download_error: z.string().optional(),
  cost: costSchema.optional(),
  next_step: z.string().describe('what to do next'),
};
export type JobView = z.output<z.ZodObject<typeof jobViewShape>>;

/** `waitS`: the wait to advise in next steps, the server's KLING_MCP_MAX_WAIT_S. */
export function jobView(f: JobFacts, waitS = DEFAULT_MAX_WAIT_S): ToolReply<JobView> {
  const done = isTerminal(f.phase);
  const elapsed = f.submittedAt !== undefined ? Math.max(0, Math.round(((f.endedAt ?? f.now) - f.submittedAt) / 1000)) : undefined;
  const priced = f.estimateUsd !== undefined || f.chargedUsd !== undefined;
  const error = f.phase === 'failed' ? (errorText(f.upstreamError) ?? `RunComfy reported the state "${f.status}".`) : undefined;
  const next = nextStep(f, elapsed, waitS);
  const structured: JobView = {
    request_id: f.requestId,
    status: f.status,
    done,
    ...(f.kind && { kind: f.kind }),
    ...(f.model && { model: f.model }),
    ...(f.queuePosition !== undefined && { queue_position: f.queuePosition }),
    ...(f.output && { output: f.output }),
    ...(f.files?.length && { files: f.files }),
    ...(elapsed !== undefined && { elapsed_s: elapsed }),
    ...(error && { error }),
    ...(f.downloadError && { download_error: f.downloadError }),
    ...(priced && {
      cost: {
        estimate_usd: f.estimateUsd === undefined ? null : roundUsd(f.estimateUsd),
        charged_usd: f.chargedUsd === undefined ? null : roundUsd(f.chargedUsd),
      },
    }),
    next_step: next,
  };
  return { structured, text: summary(f, elapsed, error, next), links: links(f) };
}

function nextStep(f: JobFacts, elapsed: number | undefined, waitS: number): string {
  // The wait advised is the server's own (KLING_MCP_MAX_WAIT_S): what it allows, not a fixed figure.
  const args = JSON.stringify({ request_id: f.requestId, ...(waitS > 0 && { wait_seconds: waitS }) });
  switch (f.phase) {
    case 'completed':
      return f.output
        ? 'Done: use the saved file or the output URL.'
        : `Call get_result with ${JSON.stringify({ request_id: f.requestId })} to fetch the outputs.`;
    case 'cancelled':
      return 'Nothing more will happen; call generate_video again to make a new video.';
    case 'failed':
      return 'Fix what the error says, then call generate_video again.';
    default:
      return `The job keeps running upstream${elapsed !== undefined ? ` (${elapsed} s so far)` : ''}. Call get_result with ${args} to wait for the video.`;
  }
}

function summary(f: JobFacts, elapsed: number | undefined, error: string | undefined, next: string): string {
  const lines: string[] = [];
  const at = elapsed !== undefined ? ` after ${elapsed} s` : '';
  if (f.phase === 'completed' && outputUrls(f.output).length === 0) {
    lines.push(`Job ${f.requestId} is completed${at}, but no output URL is known yet.`);
  } else if (f.phase === 'completed') {
    const by = f.model ? `, ${modelById(f.model)?.title ?? f.model}` : '';
    lines.push(`${KIND_WORD[f.kind ?? 'video']} ready (request_id ${f.requestId}${by})${at}.`);
    for (const { url, kind } of outputUrls(f.output)) lines.push(`${KIND_WORD[kind]} URL: ${url}`);
    for (const file of f.files ?? []) lines.push(`Saved to: ${file.path} (${formatBytes(file.bytes)}, sha256 ${file.sha256.slice(0, 12)}…)`);
    if (f.downloadError) lines.push(`Not saved locally: ${f.downloadError} The URL above still works; get_result tries the download again.`);
  } else if (f.phase === 'failed') {
    lines.push(`Job ${f.requestId} failed${at} (state "${f.status}"): ${error}`);
  } else if (f.phase === 'cancelled') {
    lines.push(`Job ${f.requestId} is cancelled.`);
  } else {
    const where = f.phase === 'queued' && f.queuePosition !== undefined ? ` at queue position ${f.queuePosition}` : '';
    lines.push(`Job ${f.requestId} is ${f.status}${where}${at}${f.waitedOut ? ", and this call's wait ran out" : ''}.`);
  }
  const cost = costLine(f);
  if (cost) lines.push(cost);
  lines.push(`Next: ${next}`);
  return lines.join('\n');
}

const KIND_WORD: Record<OutputKind, string> = { video: 'Video', image: 'Image', audio: 'Audio' };
/** A remote result's type when its URL does not say. */
const FALLBACK_MIME: Record<OutputKind, string> = { video: 'video/mp4', image: 'image/png', audio: 'audio/mpeg' };

function costLine(f: JobFacts): string | undefined {
  if (f.chargedUsd !== undefined)
    return `Cost: ${formatUsd(f.chargedUsd)} charged by RunComfy${f.estimateUsd !== undefined ? ` (expected ${formatUsd(f.estimateUsd)})` : ''}.`;
  if (f.estimateUsd !== undefined) return `Cost: about ${formatUsd(f.estimateUsd)} expected (RunComfy reports the charge once the job is done).`;
  return undefined;
}

function links(f: JobFacts): ResourceLink[] {
  const out: ResourceLink[] = (f.files ?? []).map((file) => fileLink(file, 'saved copy of the result'));
  for (const { url, kind } of outputUrls(f.output)) {
    out.push({
      type: 'resource_link',
      uri: url,
      name: `${kind} (remote)`,
      mimeType: mimeFromUrl(url, FALLBACK_MIME[kind]),
      description: 'result on RunComfy storage; may expire',
    });
  }
  return out;
}
