/**
 * Tool definitions are reviewed like code: what a client lists of every tool (name, title, description, input and
 * output schema, annotations, _meta) is checked in under test/__toolsnaps__/, one pretty-printed JSON file per tool,
 * so a change to what the model reads shows in the diff. After an intended change: review it, then
 *   npx vitest run test/tool-snapshot.test.ts -u
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectStdio, ROOT, tempDir, uiClient } from './helpers.js';
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

  it(`what the model reads of them stays within ${MODEL_FACING_BUDGET_BYTES.toLocaleString('en')} bytes of JSON`, () => {
    const bytes = modelFacingBytes(tools);
    expect(
      bytes,
      `name + description + input schema of every tool the model sees: ${bytes} bytes; shorten the words (test/tool-definitions.ts says when the budget may grow)`,
    ).toBeLessThanOrEqual(MODEL_FACING_BUDGET_BYTES);
  });
});
