/** Builds the MCP server: tools and resources on a shared context. Transport-free, so tests connect it in memory. */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AppContext } from './context.js';
import { DEFAULT_MODEL } from './models/registry.js';
import { registerJobResources } from './resources/jobs.js';
import { registerModelSchema } from './resources/model-schema.js';
import { clientShowsPlayer, PLAYER_URI, registerPlayer } from './resources/player.js';
import { registerStoryboardResources } from './resources/storyboards.js';
import { followClientRoots } from './roots.js';
import { registerTools } from './tools/define.js';
import { TOOLS } from './tools/index.js';
import { ZodJsonSchemaValidator } from './util/json-schema-validator.js';

export const SERVER_NAME = 'kling-o1-mcp';
export const SERVER_VERSION = '0.1.0';

export function createServer(app: AppContext): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      capabilities: { logging: {}, tools: {}, resources: { subscribe: true, listChanged: true } },
      jsonSchemaValidator: new ZodJsonSchemaValidator(),
      instructions:
        `Turns a start frame and an end frame into a video with Kling on RunComfy (${DEFAULT_MODEL.name} unless generate_video's model ` +
        'names another engine). Call generate_video; if it returns before the video is done, continue with get_result ' +
        '(wait_seconds) using the request_id. For a film of several shots (keyframe 0 → 1 → … → N), call generate_storyboard ' +
        'once instead of many generate_video calls, then get_storyboard; revise_storyboard makes a new cut. generate_keyframes ' +
        'makes the frames (keyframe_id) and generate_soundtrack the music (soundtrack_id) that those tools take. list_jobs finds ' +
        "earlier jobs and shows the spend. kling://models/{model}/schema has each model's input rules.",
    },
  );
  const showAppTools = registerTools(server, app, TOOLS, { uri: PLAYER_URI, shown: () => clientShowsPlayer(server) });
  registerModelSchema(server, app);
  registerJobResources(server, app);
  registerStoryboardResources(server, app);
  registerPlayer(server, app);
  // Once the client has initialized its capabilities are known: follow its roots, and send logs to it too (before, stderr alone).
  server.server.oninitialized = () => {
    followClientRoots(server.server, app.imageFolders, app.log);
    showAppTools();
    app.log.attach((level, data) => {
      if (server.isConnected()) void server.sendLoggingMessage({ level, logger: SERVER_NAME, data }).catch(() => undefined);
    });
  };
  return server;
}
