import { z } from 'zod';
import { isTerminal } from '../runcomfy/schemas.js';
import type { JobRecord } from '../jobs/ledger.js';
import { jobPhase, jobSummarySchema, summarize } from '../jobs/summary.js';
import { defineTool } from './define.js';

const FILTERS = ['unfinished', 'queued', 'running', 'completed', 'cancelled', 'failed', 'outcome_unknown'] as const;
type Filter = (typeof FILTERS)[number];

function matches(job: JobRecord, filter: Filter | undefined): boolean {
  if (!filter) return true;
  const phase = jobPhase(job);
  if (filter === 'unfinished') return phase !== 'outcome_unknown' && !isTerminal(phase);
  return phase === filter;
}

export const listJobs = defineTool({
  name: 'list_jobs',
  title: 'List known jobs',
  description:
    'Lists the jobs this server has submitted (kept across restarts), newest first, with state, prompt, age and saved file, ' +
    'so you can pick a job up again without its id being pasted. Reads the local ledger only; check_status refreshes a state.',
  input: {
    status: z.enum(FILTERS, { error: `status must be one of: ${FILTERS.join(', ')}.` }).optional().describe('Only jobs in this state ("unfinished" = queued or running).'),
    limit: z.number().int().min(1).max(200).default(20).describe('At most this many jobs (default 20).'),
  },
  output: { jobs: z.array(jobSummarySchema), total: z.number().describe('how many jobs match, before the limit') },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handle(args, { app }) {
    const now = Date.now();
    const all = (await app.ledger.list()).filter((j) => matches(j, args.status));
    const jobs = all.slice(0, args.limit).map((j) => summarize(j, now));
    const lines = jobs.map((j) => `- ${j.request_id} · ${j.status}${j.age_s !== undefined ? ` · ${formatAge(j.age_s)} ago` : ''} · "${j.prompt}"${j.file ? ` · ${j.file}` : ''}`);
    const text = jobs.length ? `${all.length} job(s)${args.status ? ` (${args.status})` : ''}, newest first:\n${lines.join('\n')}` : 'No jobs recorded yet.';
    return { structured: { jobs, total: all.length }, text };
  },
});

function formatAge(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}
