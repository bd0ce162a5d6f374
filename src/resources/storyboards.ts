/**
 * Storyboards as resources: the list, and one board by storyboard_id with its
 * plan (every shot's inputs), where each shot stands, and its files (clips,
 * film, contact sheet). The view (storyboards/view.ts) loads on the first
 * read: no start needs it.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AppContext } from '../context.js';
import { atCut } from '../ledger/records.js';
import { processAlive, shotStates } from '../storyboards/shots.js';
import { loadSlice, STORYBOARDS_URI, storyboardUri } from '../storyboards/show.js';
import { boardTakes } from '../storyboards/takes.js';
import { LIST_LIMIT, completeIds, listFromLedger, readFromLedger } from './read.js';

export function registerStoryboardResources(server: McpServer, app: AppContext): void {
  const describe = async (id: string) => {
    const { boardView, takeWithInputs } = await import('../storyboards/view.js');
    const slice = await loadSlice(app.ledger, id);
    const { board } = slice;
    const view = boardView(board, shotStates(slice, processAlive), slice, app.config.maxWaitS).structured;
    // Every cut, each as it stands: its shot list with the take of each shot, its film and sheet.
    const cuts = board.cuts.map((c) => {
      const at = atCut(board, c.cut);
      const v = boardView(at, shotStates({ ...slice, board: at }, processAlive), slice, app.config.maxWaitS).structured;
      return {
        cut: c.cut,
        created_at: new Date(c.at).toISOString(),
        shots: c.shots,
        status: v.status,
        takes: v.shots.map((s) => s.take ?? null),
        film: v.film,
        sheet: v.sheet,
      };
    });
    // Every take of every cut with the inputs it was made from, so a take number can be picked knowingly.
    const takes = boardTakes(slice.jobs).map(takeWithInputs);
    return { ...view, created_at: new Date(board.created_at).toISOString(), plan: board.cuts[0]!.shots, cuts, takes };
  };

  server.registerResource(
    'storyboards',
    STORYBOARDS_URI,
    {
      title: 'Kling O1 storyboards',
      description: 'Every storyboard this server has planned, newest first, with its status and film.',
      mimeType: 'application/json',
    },
    (uri) =>
      readFromLedger(app, uri, async () => {
        const { boardView } = await import('../storyboards/view.js');
        return Promise.all(
          (await app.ledger.boards({ limit: LIST_LIMIT })).items.map(async (b) => {
            const slice = (await app.ledger.slice(b.storyboard_id)) ?? { board: b, jobs: [], pending: [] };
            const view = boardView(b, shotStates({ ...slice, board: b }, processAlive), slice, app.config.maxWaitS).structured;
            return {
              storyboard_id: b.storyboard_id,
              title: b.title,
              created_at: new Date(b.created_at).toISOString(),
              status: view.status,
              shots: b.shots.length,
              cut: b.cut,
              film: view.film?.path,
            };
          }),
        );
      }),
  );

  server.registerResource(
    'storyboard',
    new ResourceTemplate(`${STORYBOARDS_URI}/{storyboard_id}`, {
      list: async () => ({
        resources: await listFromLedger(app, async () =>
          (await app.ledger.boards({ limit: LIST_LIMIT })).items.map((b) => ({
            uri: storyboardUri(b.storyboard_id),
            name: b.title ?? b.storyboard_id,
            mimeType: 'application/json',
          })),
        ),
      }),
      complete: {
        storyboard_id: (value) => completeIds(app, 'boards', value),
      },
    }),
    {
      title: 'One Kling O1 storyboard',
      description:
        "A storyboard's plan (every shot's inputs), each shot's state, take and job, its clips, film and contact sheet; and every cut (revision) with the take of each shot and its film.",
      mimeType: 'application/json',
    },
    (uri, vars) => readFromLedger(app, uri, () => describe(String(vars.storyboard_id))),
  );
}
