import { z } from 'zod';
import { RUNCOMFY_STATE, type Phase } from '../jobs/phase.js';
import { jobSummarySchema, summarize, type JobSummary } from '../jobs/summary.js';
import { defineTool } from './define.js';
import type { AppContext } from '../context.js';
import { spendInWindow, spendSince } from '../costs/spend.js';
import { formatAge, formatUsd } from '../util/format.js';

// In RunComfy's words, the ones every answer shows a job's state in.
const FILTERS = ['unfinished', 'in_queue', 'in_progress', 'completed', 'cancelled', 'failed', 'outcome_unknown'] as const;
type Filter = (typeof FILTERS)[number];
/** The words earlier versions took, still accepted, so a saved call keeps working. */
const FORMER: Record<string, Filter> = { queued: 'in_queue', running: 'in_progress' };
const ACCEPTED = [...FILTERS, ...(Object.keys(FORMER) as ('queued' | 'running')[])] as const;

/** The job phases (ledger/records.ts#jobPhase) a filter keeps: RunComfy's state words map back onto phases. */
const phasesOf = (filter: Filter): string[] =>
  filter === 'unfinished' ? ['queued', 'running'] : [(Object.keys(RUNCOMFY_STATE) as Phase[]).find((p) => RUNCOMFY_STATE[p] === filter) ?? filter];

export const listJobs = defineTool({
  name: 'list_jobs',
  title: 'List known jobs',
  description:
    'Lists the jobs this server has submitted (kept across restarts), newest first, with state, prompt, age and saved file, ' +
    'so you can pick a job up again without its id being pasted. Reads the local ledger only; check_status refreshes a state.',
  input: {
    status: z
      .enum(ACCEPTED, { error: `status must be one of: ${FILTERS.join(', ')}.` })
      .transform((s): Filter => FORMER[s] ?? (s as Filter))
      .optional()
      .describe('Only jobs in this state ("unfinished" = in_queue or in_progress; "queued" and "running" still mean in_queue and in_progress).'),
    limit: z.number().int().min(1).max(200).default(20).describe('At most this many jobs (default 20).'),
    cursor: z.string().optional().describe('The next_cursor of an earlier answer: the page of older jobs after it.'),
  },
  output: {
    jobs: z.array(jobSummarySchema),
    total: z.number().describe('how many jobs match, before the limit'),
    next_cursor: z.string().optional().describe('more (older) jobs match: pass this as cursor for the next page'),
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
    const page = await app.ledger.jobs({ limit: args.limit, cursor: args.cursor, ...(args.status && { phases: phasesOf(args.status) }) });
    const jobs = page.items.map((j) => summarize(j, now));
    const spend = await spendReport(app, now);
    const lines = jobs.map(
      (j) =>
        // A video is what most jobs make: the kind is said for the others.
        `- ${j.request_id} · ${stateWords(j, now)}${j.kind === 'video' ? '' : ` · ${j.kind}`}${j.age_s !== undefined ? ` · submitted ${formatAge(j.age_s)} ago` : ''}` +
        `${j.storyboard_id ? ` · shot ${j.shot} of ${j.storyboard_id}` : ''} · "${j.prompt}"${j.file ? ` · ${j.file}` : ''}`,
    );
    const shown = jobs.length < page.total ? `${jobs.length} of ${page.total}` : `${page.total}`;
    const more = page.next ? `\nOlder jobs: call list_jobs again with cursor "${page.next}".` : '';
    // The ledger's word, not RunComfy's today: a filter by state selects on what was last seen, and says so.
    const stale = jobs.some((j) => !j.done) ? '\nStates of unfinished jobs are as this server last saw them; check_status asks RunComfy now.' : '';
    const head = jobs.length
      ? `${shown} job(s)${args.status ? ` (${args.status}, as last seen)` : ''}, newest first:\n${lines.join('\n')}${more}${stale}`
      : noneText(args.status, args.status ? (await app.ledger.jobs({ limit: 1 })).total : 0);
    const limit = spend.limit_usd !== undefined ? ` (limit ${formatUsd(spend.limit_usd)}, KLING_MCP_SPEND_LIMIT_USD)` : '';
    const text = `${head}\nSpend: ${formatUsd(spend.last_24h_usd)} over the last 24 h${limit}; ${formatUsd(spend.total_usd)} in total${spend.unpriced_jobs ? ` (${spend.unpriced_jobs} job(s) of unknown price not counted)` : ''}.`;
    return { structured: { jobs, total: page.total, ...(page.next && { next_cursor: page.next }), spend }, text };
  },
});

async function spendReport(app: AppContext, now: number) {
  const day = await spendInWindow(app.ledger, now);
  const all = spendSince(-Infinity, await app.ledger.spendSources(-Infinity));
  return {
    last_24h_usd: day.usd,
    total_usd: all.usd,
    unpriced_jobs: all.unpriced,
    ...(app.config.spendLimitUsd !== undefined && { limit_usd: app.config.spendLimitUsd }),
  };
}

/** A row's state, with when it was seen where it may have moved on since. */
function stateWords(j: JobSummary, now: number): string {
  if (j.status === 'submitted') return `submitted, not checked since ${j.submitted_at ?? 'its submission'}`;
  if (j.done || j.checked_at === undefined) return j.status;
  return `${j.status} (as last seen, ${formatAge(Math.max(0, Math.round((now - Date.parse(j.checked_at)) / 1000)))} ago)`;
}

/** An empty answer says what was asked and what there is, so "none of these" is never read as "none at all". */
function noneText(status: string | undefined, recorded: number): string {
  if (recorded === 0) return 'No jobs recorded yet.';
  return `No ${status ?? 'matching'} jobs among the ${recorded} recorded (list_jobs without a status lists them all).`;
}
