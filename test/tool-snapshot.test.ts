/**
 * Tool definitions are reviewed like code: what a client lists of every tool (name, title, description, input and
 * output schema, annotations, _meta) is checked in under test/__toolsnaps__/, one pretty-printed JSON file per tool,
 * so a change to what the model reads shows in the diff. After an intended change: review it, then
 *   npx vitest run test/tool-snapshot.test.ts -u
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { TOOLS } from '../src/tools/index.js';
import { toolSchemas } from '../src/tools/listing.js';
import { connectStdio, newClient, ROOT, tempDir, uiClient } from './helpers.js';
import { listedTools, MODEL_FACING_BUDGET_BYTES, modelFacingBytes } from './tool-definitions.js';

const SNAPS = path.join(ROOT, 'test', '__toolsnaps__');
const tools = await listedTools();

describe('tool definitions', () => {
  it.each(tools.map((t) => [t.name, t] as const))('%s matches its reviewed snapshot in test/__toolsnaps__/', async (name, tool) => {
    await expect(`${JSON.stringify(tool, null, 2)}\n`).toMatchFileSnapshot(
      path.join(SNAPS, `${name}.json`),
      `${name} is new or changed: review it, then write the snapshot with \`npx vitest run test/tool-snapshot.test.ts -u\``,
    );
  });

  it('test/__toolsnaps__/ holds no snapshot of a tool that is gone', () => {
    const stale = readdirSync(SNAPS).filter((f) => !tools.some((t) => `${t.name}.json` === f));
    expect(stale, 'no tool has these snapshots any more: delete them').toEqual([]);
  });

  it("the bin lists exactly what the source does: the schemas built into it are the source's, whatever the settings", async () => {
    const tmp = tempDir('kling-tools-bin-');
    // Settings that shape answers (the wait, the spend limit) must not shape a schema the bundle converted beforehand.
    const env = {
      RUNCOMFY_API_TOKEN: 'unused',
      KLING_MCP_STATE_DIR: tmp.dir,
      KLING_MCP_MAX_WAIT_S: '17',
      KLING_MCP_SPEND_LIMIT_USD: '3',
      KLING_MCP_LOCAL_IMAGES: '0',
    };
    const bin = await connectStdio(env, uiClient());
    try {
      expect((await bin.client.listTools()).tools).toEqual(await listedTools(env));
    } finally {
      await bin.close();
      tmp.cleanup();
    }
  });

  it("lists every tool as the SDK's own tools/list handler would (tools/listing.ts stands in for it)", async () => {
    // The same tools, on a plain McpServer that keeps the SDK's handler: any field or conversion of its that ours
    // misses (a field a new SDK lists, say) shows here.
    const sdk = new McpServer({ name: 'sdk', version: '1' });
    const schemas = toolSchemas(TOOLS);
    for (const t of tools) {
      const { input, output } = schemas.get(t.name)!;
      sdk.registerTool(
        t.name,
        { title: t.title, description: t.description, inputSchema: input, outputSchema: output, annotations: t.annotations, _meta: t._meta },
        () => ({
          content: [],
        }),
      );
    }
    const client = newClient();
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([sdk.connect(b), client.connect(a)]);
    try {
      expect(tools).toEqual((await client.listTools()).tools);
    } finally {
      await client.close();
      await sdk.close();
    }
  });

  it(`what the model reads of them stays within ${MODEL_FACING_BUDGET_BYTES.toLocaleString('en')} bytes of JSON`, () => {
    const bytes = modelFacingBytes(tools);
    expect(
      bytes,
      `name + description + input schema of every tool the model sees: ${bytes} bytes; shorten the words (test/tool-definitions.ts says when the budget may grow)`,
    ).toBeLessThanOrEqual(MODEL_FACING_BUDGET_BYTES);
  });
});
