/**
 * tools/list, without converting schemas at start. The SDK's own handler turns every tool's zod schemas into JSON
 * Schema at every tools/list, and a start's first list is part of its cold start (about 13 ms of 10 tools' schemas).
 * So the bundle carries them already converted (scripts/bundle-server.mjs fills in bundled-schemas.ts with
 * toolSchemaJson below), and a run from source converts each zod object once, shared by every tool declaring it.
 * The definitions are the SDK's own, field for field: the tool snapshots, a test against the SDK's own handler, and a
 * test of the bin's listing against the source's hold them to it.
 */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { BUNDLED_SCHEMAS, type ToolSchemaJson } from './bundled-schemas.js';
import { strictObject } from './strict.js';

type Shape = z.ZodRawShape;
type JsonSchema = Tool['inputSchema'];
type Io = 'input' | 'output';

/** A tool's arguments and answer as zod objects. */
export interface ToolSchemas {
  input: z.ZodObject<Shape>;
  output: z.ZodObject<Shape>;
}

/**
 * The zod objects of each tool by name. Arguments are strict (tools/strict.ts: a misspelled key is refused by name,
 * never dropped); tools that answer alike (the storyboard tools, the job tools) share one output object.
 */
export function toolSchemas(tools: readonly { name: string; input: Shape; output: Shape }[]): Map<string, ToolSchemas> {
  const outputs = new Map<Shape, z.ZodObject<Shape>>();
  const outputOf = (shape: Shape) => outputs.get(shape) ?? outputs.set(shape, z.object(shape)).get(shape)!;
  return new Map(tools.map((t) => [t.name, { input: strictObject(t.input, t.name), output: outputOf(t.output) }]));
}

const converted: Record<Io, WeakMap<z.ZodType, JsonSchema>> = { input: new WeakMap(), output: new WeakMap() };

/** As the SDK converts (server/zod-json-schema-compat.js): draft-07, each side of a pipe as it is read or written. */
function jsonSchema(schema: z.ZodType, io: Io): JsonSchema {
  let json = converted[io].get(schema);
  if (!json) {
    json = z.toJSONSchema(schema, { target: 'draft-07', io }) as JsonSchema;
    converted[io].set(schema, json);
  }
  return json;
}

/** Every tool's schemas as JSON, by name: what the bundle carries. */
export function toolSchemaJson(schemas: ReadonlyMap<string, ToolSchemas>): Record<string, ToolSchemaJson> {
  return Object.fromEntries([...schemas].map(([name, s]) => [name, { input: jsonSchema(s.input, 'input'), output: jsonSchema(s.output, 'output') }]));
}

/**
 * Serves tools/list from `tools` (by name, as registered; disabled ones left out). Called once the tools are
 * registered: the SDK installs its handler at the first registration, and this one replaces it. So every tool is
 * registered before, and none is removed or renamed after (none is: enabling and disabling are all the server does).
 */
export function serveToolList(server: McpServer, tools: ReadonlyMap<string, RegisteredTool>): void {
  // Every schema registered here is zod 4's (the bin leaves zod 3 out: scripts/bundle-server.mjs).
  const json = (name: string, schema: RegisteredTool['inputSchema'], io: Io) =>
    BUNDLED_SCHEMAS?.[name]?.[io] ?? (schema && jsonSchema(schema as z.ZodType, io));
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [...tools]
      .filter(([, tool]) => tool.enabled)
      .map(([name, tool]): Tool => {
        const outputSchema = json(name, tool.outputSchema, 'output');
        return {
          name,
          title: tool.title,
          description: tool.description,
          inputSchema: json(name, tool.inputSchema, 'input') ?? { type: 'object', properties: {} },
          annotations: tool.annotations,
          execution: tool.execution,
          _meta: tool._meta,
          ...(outputSchema && { outputSchema }),
        };
      }),
  }));
}
