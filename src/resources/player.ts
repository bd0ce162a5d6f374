/**
 * The player: one MCP Apps page (`ui://kling-o1/player`) that shows a clip or a
 * storyboard inside the conversation. The page is built from src/player/ into
 * one self-contained HTML file (scripts/build-player.mjs); this module serves it
 * and says which clients get it: those that declare the `io.modelcontextprotocol/ui`
 * extension with its MIME type. Everyone else gets today's answers unchanged.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getUiCapability, registerAppResource, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AppContext } from '../context.js';
import { KlingError } from '../errors.js';
import { toResourceError } from '../calls/respond.js';

export const PLAYER_URI = 'ui://kling-o1/player';
export const PLAYER_FILE = 'player.html';
/** Where RunComfy keeps outputs: a clip that was not saved plays from there. */
const OUTPUT_ORIGINS = ['https://playgrounds-storage-public.runcomfy.net'];

/** Does this client render the player? Only then do answers change (no resource_link beside the widget). */
export function clientShowsPlayer(server: McpServer): boolean {
  return getUiCapability(server.server.getClientCapabilities())?.mimeTypes?.includes(RESOURCE_MIME_TYPE) === true;
}

/**
 * The built page: beside the running module in dist/ (the bundle's chunks sit one
 * folder down), or in dist/ when run from source with tsx.
 */
export function playerHtmlPath(from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  const candidates = [path.join(from, PLAYER_FILE), path.join(from, '..', PLAYER_FILE), path.join(from, '..', '..', 'dist', PLAYER_FILE)];
  return candidates.find((p) => existsSync(p));
}

/** Origins the page may load media from: RunComfy's storage, and the API's own host (the simulator serves outputs there). */
export function mediaOrigins(app: AppContext): string[] {
  return [...new Set([...OUTPUT_ORIGINS, new URL(app.config.baseUrl).origin])];
}

export function registerPlayer(server: McpServer, app: AppContext): void {
  registerAppResource(
    server,
    'player',
    PLAYER_URI,
    { title: 'Kling O1 player', description: 'Watch a clip or a storyboard where you asked for it.', mimeType: RESOURCE_MIME_TYPE },
    async (uri) => {
      try {
        const file = playerHtmlPath();
        if (!file) throw new KlingError('internal', `The player page (${PLAYER_FILE}) is not built: run \`npm run build\`.`);
        const resourceDomains = mediaOrigins(app);
        return {
          contents: [
            {
              uri: uri.href,
              mimeType: RESOURCE_MIME_TYPE,
              text: await readFile(file, 'utf8'),
              _meta: { ui: { csp: { resourceDomains }, prefersBorder: true } },
            },
          ],
        };
      } catch (err) {
        throw toResourceError(err, app.log);
      }
    },
  );
}
