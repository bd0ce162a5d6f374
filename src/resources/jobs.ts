/**
 * Jobs as resources: the list, and one job by request_id (with completion of
 * ids). Subscribed clients hear when a job changes, and every client hears when
 * the list of jobs grows.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../context.js';
import { summarize } from '../jobs/summary.js';

export const JOBS_URI = 'kling://jobs';
const jobUri = (id: string) => `${JOBS_URI}/${id}`;

const json = (uri: string, value: unknown) => ({ contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] });

export function registerJobResources(server: McpServer, app: AppContext): void {
  server.registerResource(
    'jobs',
    JOBS_URI,
    { title: 'Kling O1 jobs', description: 'Every job this server has submitted, newest first.', mimeType: 'application/json' },
    async (uri) => {
      await app.init();
      const now = Date.now();
      return json(uri.href, (await app.ledger.list()).map((j) => summarize(j, now)));
    },
  );

  server.registerResource(
    'job',
    new ResourceTemplate(`${JOBS_URI}/{request_id}`, {
      list: async () => {
        await app.init();
        return { resources: (await app.ledger.list()).map((j) => ({ uri: jobUri(j.request_id), name: j.request_id, mimeType: 'application/json', description: j.input?.prompt.slice(0, 80) })) };
      },
      complete: {
        request_id: async (value) => {
          await app.init();
          return (await app.ledger.list()).map((j) => j.request_id).filter((id) => id.startsWith(value)).slice(0, 100);
        },
      },
    }),
    { title: 'One Kling O1 job', description: 'Everything recorded about one job: inputs, every state seen, outputs, saved files, errors.', mimeType: 'application/json' },
    async (uri, vars) => {
      await app.init();
      const id = String(vars.request_id);
      const job = await app.ledger.get(id);
      if (!job) throw new Error(`No job ${id} is recorded here; list_jobs shows the known ones.`);
      return json(uri.href, job);
    },
  );

  const subscribed = new Set<string>();
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscribed.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });

  const known = new Set<string>();
  app.ledger.onChange((ids) => {
    const fresh = ids.filter((id) => !known.has(id));
    ids.forEach((id) => known.add(id));
    if (!server.isConnected()) return;
    if (fresh.length > 0) server.sendResourceListChanged();
    const uris = [JOBS_URI, ...ids.map(jobUri)].filter((u) => subscribed.has(u));
    for (const uri of uris) void server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  });
}
