/**
 * A job in brief, as list_jobs and the kling://jobs resource show it: derived
 * from the ledger record, never stored.
 */
import { z } from 'zod';
import { OUTPUT_KINDS } from '../models/model.js';
import { isTerminal } from './phase.js';
import { jobCostUsd, jobPhase, type JobRecord } from '../ledger/records.js';

export const jobSummarySchema = z.object({
  request_id: z.string(),
  prompt: z.string().describe('the prompt, shortened'),
  status: z
    .string()
    .describe(
      "RunComfy's state as this server last saw it (at checked_at; check_status refreshes it), or submitted (not checked since its submission) or outcome_unknown (the submission got no answer)",
    ),
  checked_at: z.string().optional().describe('when this server last asked RunComfy for the state (absent: not since the submission)'),
  done: z.boolean(),
  kind: z.enum(OUTPUT_KINDS).describe('what the job makes: video, image or audio'),
  duration: z.number().optional(),
  submitted_at: z.string().optional(),
  age_s: z.number().optional(),
  file: z.string().optional().describe('local path of the saved result'),
  video_url: z.string().optional(),
  outcome_unknown: z.boolean().optional().describe('the submission got no answer; check the RunComfy dashboard'),
  storyboard_id: z.string().optional().describe('the storyboard this job renders a shot of'),
  shot: z.number().optional().describe('which shot of that storyboard (1 = first)'),
  cost_usd: z.number().optional().describe('what RunComfy charged, or else the expected cost'),
});

export type JobSummary = z.output<typeof jobSummarySchema>;

export function summarize(job: JobRecord, now: number): JobSummary {
  const prompt = job.input?.prompt ?? '';
  const phase = jobPhase(job);
  const cost = jobCostUsd(job);
  // Ledgers older than checked_at have the time each state was first seen.
  const checked = job.checked_at ?? job.states.at(-1)?.at;
  return {
    request_id: job.request_id,
    prompt: prompt.length > 80 ? `${prompt.slice(0, 79)}…` : prompt,
    status: job.status ?? (job.outcome_unknown ? 'outcome_unknown' : 'submitted'),
    done: phase !== 'outcome_unknown' && isTerminal(phase),
    kind: job.kind,
    ...(job.input?.duration !== undefined && { duration: job.input.duration }),
    ...(job.submitted_at !== undefined && {
      submitted_at: new Date(job.submitted_at).toISOString(),
      age_s: Math.max(0, Math.round((now - job.submitted_at) / 1000)),
    }),
    ...(checked !== undefined && { checked_at: new Date(checked).toISOString() }),
    ...(job.files[0] && { file: job.files[0].path }),
    ...(job.output?.video && { video_url: job.output.video }),
    ...(job.outcome_unknown && { outcome_unknown: true }),
    ...(job.board && { storyboard_id: job.board.id, shot: job.board.shot }),
    ...(cost !== undefined && { cost_usd: cost }),
  };
}
