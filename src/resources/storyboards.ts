/**
 * Storyboards as resources: the list, and one board by storyboard_id with its
 * plan (every shot's inputs), where each shot stands, and its files (clips,
 * film, contact sheet).
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AppContext } from '../context.js';
import { processAlive, shotStates } from '../storyboards/shots.js';
import { loadSlice, STORYBOARDS_URI, storyboardUri } from '../storyboards/show.js';
import { boardView } from '../storyboards/view.js';
import { LIST_LIMIT, completeIds, listFromLedger, readFromLedger } from './read.js';

export function registerStoryboardResources(server: McpServer, app: AppContext): void {
  const describe = async (id: string) => {
    const slice = await loadSlice(app, id);
    const view = boardView(slice.board, shotStates(slice, processAlive), app.config.maxWaitS).structured;
    return { ...view, created_at: new Date(slice.board.created_at).toISOString(), plan: slice.board.shots };
  };

  server.registerResource(
    'storyboards',
    STORYBOARDS_URI,
    {
      title: 'Kling O1 storyboards',
      description: `The storyboards this server has planned, newest first (the newest ${LIST_LIMIT}), with their status and film.`,
      mimeType: 'application/json',
    },
    (uri) =>
      readFromLedger(app, uri, async () =>
        app.ledger.boards({ limit: LIST_LIMIT }).items.map((b) => {
          const view = boardView(b, shotStates(app.ledger.slice(b.storyboard_id)!, processAlive), app.config.maxWaitS).structured;
          return {
            storyboard_id: b.storyboard_id,
            title: b.title,
            created_at: new Date(b.created_at).toISOString(),
            status: view.status,
            shots: b.shots.length,
            film: view.film?.path,
          };
        }),
      ),
  );

  server.registerResource(
    'storyboard',
    new ResourceTemplate(`${STORYBOARDS_URI}/{storyboard_id}`, {
      list: async () => ({
        resources: await listFromLedger(app, async () =>
          app.ledger
            .boards({ limit: LIST_LIMIT })
            .items.map((b) => ({ uri: storyboardUri(b.storyboard_id), name: b.title ?? b.storyboard_id, mimeType: 'application/json' })),
        ),
      }),
      complete: {
        storyboard_id: (value) => completeIds(app, 'boards', value),
      },
    }),
    {
      title: 'One Kling O1 storyboard',
      description: "A storyboard's plan (every shot's inputs), each shot's state and job, its clips, film and contact sheet.",
      mimeType: 'application/json',
    },
    (uri, vars) => readFromLedger(app, uri, () => describe(String(vars.storyboard_id))),
  );
}
