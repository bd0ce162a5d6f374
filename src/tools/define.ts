/**
 * A tool is a small declarative definition (name, schemas, annotations, a
 * handler). registerTools wires each into the MCP server through one adapter:
 * progress, cancellation and error mapping are handled here, once.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { AppContext } from '../context.js';
import type { ProgressSink } from '../polling/progress.js';
import { redact } from '../util/redact.js';
import { toToolError, toToolResult, type ToolReply } from './respond.js';

type Shape = z.ZodRawShape;

export interface ToolCall {
  app: AppContext;
  signal: AbortSignal;
  /** Present when the client asked for progress (sent a progressToken). */
  progress?: ProgressSink;
}

export interface ToolDefinition<I extends Shape, O extends Shape> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  handle(args: z.output<z.ZodObject<I>>, call: ToolCall): Promise<ToolReply<z.output<z.ZodObject<O>>>>;
}

export function defineTool<I extends Shape, O extends Shape>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function registerTools(server: McpServer, app: AppContext, tools: ToolDefinition<any, any>[]): void {
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: Record<string, unknown>, extra: RequestHandlerExtra<ServerRequest, ServerNotification>) => {
        const token = extra._meta?.progressToken;
        const progress: ProgressSink | undefined =
          token === undefined
            ? undefined
            : (p) =>
                extra
                  .sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...p, message: redact(p.message) } })
                  .catch(() => undefined);
        try {
          await app.init();
          return toToolResult(await tool.handle(args, { app, signal: extra.signal, progress }));
        } catch (err) {
          return toToolError(err, app.log);
        }
      },
    );
  }
}
