/**
 * The tools as a client lists them, and what of them a model reads: shared by the tool snapshot test and the bench.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { connectInMemory, tempDir, uiClient } from './helpers.js';

/**
 * The most JSON a model may read of the tools (name + description + input schema of each tool it is shown), because
 * every byte of it sits in the model's context on every turn. Issue 21 allows up to 26,000 once the engines' arguments
 * (model, sound) and the keyframe and soundtrack tools land; generate_keyframes has landed, so it is raised here.
 */
export const MODEL_FACING_BUDGET_BYTES = 26_000;

/**
 * Every tool's definition as tools/list gives it to a client that renders MCP Apps (so the app-only tools are there
 * too), from source. By default only the token is set: the definitions as a user with the default settings gets them.
 */
export async function listedTools(env?: Record<string, string>): Promise<Tool[]> {
  const tmp = tempDir('kling-tools-');
  const c = await connectInMemory(env ?? { RUNCOMFY_API_TOKEN: 'unused', KLING_MCP_STATE_DIR: tmp.dir }, undefined, uiClient());
  try {
    return (await c.client.listTools()).tools;
  } finally {
    await c.close();
    tmp.cleanup();
  }
}

/** The tools a model is shown: all but those only the app may see (MCP Apps' `visibility: ['app']`). */
export function modelTools(tools: Tool[]): Tool[] {
  return tools.filter((t) => {
    const visibility = (t._meta?.ui as { visibility?: string[] } | undefined)?.visibility;
    return !visibility || visibility.includes('model');
  });
}

/** Bytes of JSON a model reads of these tools: each one's name, description and input schema. */
export function modelFacingBytes(tools: Tool[]): number {
  return Buffer.byteLength(JSON.stringify(modelTools(tools).map(({ name, description, inputSchema }) => ({ name, description, inputSchema }))));
}
