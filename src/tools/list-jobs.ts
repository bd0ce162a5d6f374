import { z } from 'zod';
import { isTerminal } from '../jobs/phase.js';
import type { JobRecord } from '../jobs/ledger.js';
import { jobPhase, jobSummarySchema, summarize } from '../jobs/summary.js';
import { defineTool } from './define.js';
import type { AppContext } from '../context.js';
import { SPEND_WINDOW_MS, spendSince } from '../costs/spend.js';
import { formatAge, formatUsd } from '../util/format.js';

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
    status: z
      .enum(FILTERS, { error: `status must be one of: ${FILTERS.join(', ')}.` })
      .optional()
      .describe('Only jobs in this state ("unfinished" = queued or running).'),
    limit: z.number().int().min(1).max(200).default(20).describe('At most this many jobs (default 20).'),
  },
  output: {
    jobs: z.array(jobSummarySchema),
    total: z.number().describe('how many jobs match, before the limit'),
    spend: z
      .object({
        last_24h_usd: z.number().describe('expected spend over the last 24 h (what the spend limit counts)'),
        total_usd: z.number().describe('expected spend over every job in the ledger'),
        unpriced_jobs: z.number().describe('jobs whose cost is unknown (counted as 0)'),
        limit_usd: z.number().optional().describe('KLING_MCP_SPEND_LIMIT_USD, when set'),
      })
      .describe('charged amounts where RunComfy reported them, else the estimate at submission'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handle(args, { app }) {
    const now = app.clock.now();
    const all = (await app.ledger.list()).filter((j) => matches(j, args.status));
    const jobs = all.slice(0, args.limit).map((j) => summarize(j, now));
    const spend = spendReport(app, now);
    const lines = jobs.map(
      (j) =>
        `- ${j.request_id} · ${j.status}${j.age_s !== undefined ? ` · ${formatAge(j.age_s)} ago` : ''}` +
        `${j.storyboard_id ? ` · shot ${j.shot} of ${j.storyboard_id}` : ''} · "${j.prompt}"${j.file ? ` · ${j.file}` : ''}`,
    );
    const shown = jobs.length < all.length ? `${jobs.length} of ${all.length}` : `${all.length}`;
    const head = jobs.length ? `${shown} job(s)${args.status ? ` (${args.status})` : ''}, newest first:\n${lines.join('\n')}` : 'No jobs recorded yet.';
    const limit = spend.limit_usd !== undefined ? ` (limit ${formatUsd(spend.limit_usd)}, KLING_MCP_SPEND_LIMIT_USD)` : '';
    const text = `${head}\nSpend: ${formatUsd(spend.last_24h_usd)} over the last 24 h${limit}; ${formatUsd(spend.total_usd)} in total${spend.unpriced_jobs ? ` (${spend.unpriced_jobs} job(s) of unknown price not counted)` : ''}.`;
    return { structured: { jobs, total: all.length, spend }, text };
  },
});

function spendReport(app: AppContext, now: number) {
  const r = app.ledger.state();
  const sources = () => ({ jobs: r.jobs.values(), pending: r.pending.values(), boards: r.boards.values() });
  const day = spendSince(now - SPEND_WINDOW_MS, sources());
  const all = spendSince(-Infinity, sources());
  return {
    last_24h_usd: day.usd,
    total_usd: all.usd,
    unpriced_jobs: all.unpriced,
    ...(app.config.spendLimitUsd !== undefined && { limit_usd: app.config.spendLimitUsd }),
  };
}
