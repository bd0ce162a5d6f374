/**
 * Jobs as resources: the list, and one job by request_id (with completion of
 * ids). Subscribed clients hear when a job changes, and every client hears when
 * the list of jobs grows.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../context.js';
import { KlingError } from '../errors.js';
import type { JobRecord } from '../ledger/records.js';
import { summarize } from '../jobs/summary.js';
import { LIST_LIMIT, completeIds, listFromLedger, readFromLedger } from './read.js';

export const JOBS_URI = 'kling://jobs';
const jobUri = (id: string) => `${JOBS_URI}/${id}`;

const iso = (ms: number) => new Date(ms).toISOString();

export type JobDocument = ReturnType<typeof jobDocument>;

/** One job as its resource shows it: the ledger's record, its times as ISO dates like kling://jobs (the ledger keeps epoch ms). */
function jobDocument(job: JobRecord) {
  return {
    ...job,
    ...(job.submitted_at !== undefined && { submitted_at: iso(job.submitted_at) }),
    states: job.states.map((s) => ({ ...s, at: iso(s.at) })),
    ...(job.checked_at !== undefined && { checked_at: iso(job.checked_at) }),
    ...(job.ended_at !== undefined && { ended_at: iso(job.ended_at) }),
    errors: job.errors.map((e) => ({ ...e, at: iso(e.at) })),
    updated_at: iso(job.updated_at),
  };
}

export function registerJobResources(server: McpServer, app: AppContext): void {
  server.registerResource(
    'jobs',
    JOBS_URI,
    {
      title: 'Kling O1 jobs',
      description: `The jobs this server has submitted, newest first (the newest ${LIST_LIMIT}; list_jobs pages through all of them).`,
      mimeType: 'application/json',
    },
    (uri) =>
      readFromLedger(app, uri, async () => {
        const now = app.clock.now();
        return (await app.ledger.jobs({ limit: LIST_LIMIT })).items.map((j) => summarize(j, now));
      }),
  );

  server.registerResource(
    'job',
    new ResourceTemplate(`${JOBS_URI}/{request_id}`, {
      list: async () => ({
        resources: await listFromLedger(app, async () =>
          (await app.ledger.jobs({ limit: LIST_LIMIT })).items.map((j) => ({
            uri: jobUri(j.request_id),
            name: j.request_id,
            mimeType: 'application/json',
            description: j.input?.prompt?.slice(0, 80),
          })),
        ),
      }),
      complete: {
        request_id: (value) => completeIds(app, 'jobs', value),
      },
    }),
    {
      title: 'One Kling O1 job',
      description: 'Everything recorded about one job: inputs, every state seen, outputs, saved files, errors.',
      mimeType: 'application/json',
    },
    (uri, vars) =>
      readFromLedger(app, uri, async () => {
        const id = String(vars.request_id);
        const job = await app.ledger.job(id);
        if (!job)
          throw new KlingError(
            'not_found',
            `No job ${id} is recorded in this server's ledger. The tool list_jobs and the resource ${JOBS_URI} show the known jobs.`,
          );
        return jobDocument(job);
      }),
  );

  const subscribed = new Set<string>();
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, (req) => {
    subscribed.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });

  // The ledger reports changes after its first read only: what earlier runs left is no change, and some clients take an
  // unexpected notification for an error.
  app.ledger.onChange(({ ids, added }) => {
    if (!server.isConnected()) return;
    if (added) server.sendResourceListChanged();
    const uris = [JOBS_URI, ...ids.map(jobUri)].filter((u) => subscribed.has(u));
    for (const uri of uris) void server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  });
}
