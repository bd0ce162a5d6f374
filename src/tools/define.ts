/**
 * A tool is a small declarative definition (name, schemas, annotations, a
 * handler). registerTools wires each into the MCP server through one adapter:
 * progress, confirmation, cancellation and error mapping are handled here, once.
 * A job tool (defineJobTool) also gets the upstream units and its call's
 * deadline, so no handler builds them itself.
 */
import { registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ElicitResultSchema, type ServerNotification, type ServerRequest, type ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { AppContext } from '../context.js';
import type { JobCall, ToolCall } from './call.js';
import type { Consent } from '../costs/approval.js';
import type { ProgressSink } from '../polling/progress.js';
import { Deadline } from '../util/deadline.js';
import { redact } from '../util/redact.js';
import { toToolError, toToolResult, type ToolReply } from '../calls/respond.js';
import { serveToolList, toolSchemas } from './listing.js';

type Shape = z.ZodRawShape;

export interface ToolDefinition<I extends Shape, O extends Shape, N extends string = string> {
  /** A literal type, so clients in tests know each tool's output by its name. */
  name: N;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /**
   * The player (resources/player.ts): 'player' answers open it where the client renders MCP Apps; an 'app-only'
   * tool serves the page alone, hidden from the model (and from the bundle manifest's tool list).
   */
  ui?: 'player' | 'app-only';
  handle(args: z.output<z.ZodObject<I>>, call: ToolCall): Promise<ToolReply<z.output<z.ZodObject<O>>>>;
}

export interface JobToolDefinition<I extends Shape, O extends Shape, N extends string = string> extends Omit<ToolDefinition<I, O, N>, 'handle'> {
  /** Without wait_seconds, wait up to KLING_MCP_MAX_WAIT_S (true) or answer at once (false). */
  waitsByDefault: boolean;
  handle(args: z.output<z.ZodObject<I>>, call: JobCall): Promise<ToolReply<z.output<z.ZodObject<O>>>>;
}

export function defineTool<I extends Shape, O extends Shape, N extends string>(def: ToolDefinition<I, O, N>): ToolDefinition<I, O, N> {
  return def;
}

export function defineJobTool<I extends Shape, O extends Shape, N extends string>(def: JobToolDefinition<I, O, N>): ToolDefinition<I, O, N> {
  const { waitsByDefault, handle, ...rest } = def;
  return {
    ...rest,
    async handle(args, call) {
      const waitS = (args as { wait_seconds?: number }).wait_seconds ?? (waitsByDefault ? call.app.config.maxWaitS : 0);
      const deadline = new Deadline(call.app.clock, waitS * 1000);
      const { client, jobs, boards, approval, live } = await call.app.upstream();
      return handle(args, { ...call, client, jobs, boards, approval, live, deadline });
    },
  };
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function progressSink(extra: Extra): ProgressSink | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  return (p) =>
    extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...p, message: redact(p.message) } }).catch(() => undefined);
}

/** A client that offers elicitation is asked; any other gets a quote, which the call's `confirm_quote` may redeem. */
function consentOf(server: McpServer, extra: Extra, tool: string, args: Record<string, unknown>): Consent {
  if (!server.server.getClientCapabilities()?.elicitation) {
    return { quote: { tool, token: typeof args.confirm_quote === 'string' ? args.confirm_quote : undefined } };
  }
  const ask = async (message: string) => {
    const res = await extra.sendRequest(
      {
        method: 'elicitation/create',
        params: {
          message: redact(message),
          requestedSchema: {
            type: 'object',
            properties: { confirm: { type: 'boolean', title: 'Go ahead', description: 'Submit (and pay for) this work', default: false } },
            required: ['confirm'],
          },
        },
      },
      ElicitResultSchema,
      { signal: extra.signal, timeout: 10 * 60_000 },
    );
    // A form accepted with "confirm" unticked is a no.
    if (res.action === 'accept' && res.content?.confirm !== true) return 'decline';
    return res.action;
  };
  return { ask };
}

/** The player page as the tools need it (app.ts passes resources/player.ts's): its URI, and whether this client renders it. */
export interface PlayerUi {
  uri: string;
  shown(): boolean;
}

function uiMeta(tool: ToolDefinition<Shape, Shape>, player: PlayerUi): { ui: { resourceUri: string; visibility?: 'app'[] } } | undefined {
  if (tool.ui === 'player') return { ui: { resourceUri: player.uri } };
  if (tool.ui === 'app-only') return { ui: { resourceUri: player.uri, visibility: ['app'] } };
  return undefined;
}

/**
 * Registers the tools. App-only tools start disabled: a client without the MCP Apps extension never lists them;
 * the returned function shows them once the client's capabilities are known (on initialized).
 */
export function registerTools(server: McpServer, app: AppContext, tools: ToolDefinition<Shape, Shape>[], player: PlayerUi): () => void {
  const appOnly: RegisteredTool[] = [];
  const registeredTools = new Map<string, RegisteredTool>();
  const schemas = toolSchemas(tools);
  for (const tool of tools) {
    const meta = uiMeta(tool, player);
    const config = {
      title: tool.title,
      description: tool.description,
      inputSchema: schemas.get(tool.name)!.input,
      outputSchema: schemas.get(tool.name)!.output,
      annotations: { title: tool.title, ...tool.annotations },
    };
    const handler = async (args: Record<string, unknown>, extra: Extra) => {
      try {
        await app.init();
        const reply = await tool.handle(args, {
          app,
          signal: extra.signal,
          progress: progressSink(extra),
          consent: consentOf(server, extra, tool.name, args),
        });
        // Beside the player, a resource_link has been seen to stop claude.ai from handing the result to it.
        return toToolResult(tool.ui === 'player' && player.shown() ? { ...reply, links: [] } : reply);
      } catch (err) {
        return toToolError(err, app.log);
      }
    };
    const registered = meta ? registerAppTool(server, tool.name, { ...config, _meta: meta }, handler) : server.registerTool(tool.name, config, handler);
    registeredTools.set(tool.name, registered);
    if (tool.ui === 'app-only') {
      registered.disable();
      appOnly.push(registered);
    }
  }
  serveToolList(server, registeredTools);
  return () => {
    if (player.shown()) for (const t of appOnly) t.enable();
  };
}
