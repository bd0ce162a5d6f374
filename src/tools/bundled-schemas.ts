/**
 * Every tool's schemas as tools/list gives them, by tool name, converted when the bin is bundled: there,
 * scripts/bundle-server.mjs replaces this module with them (tools/listing.ts#toolSchemaJson). From source there are
 * none, and tools/list converts the zod schemas itself.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** A tool's schemas as tools/list gives them. */
export type ToolSchemaJson = Record<'input' | 'output', Tool['inputSchema']>;

export const BUNDLED_SCHEMAS: Readonly<Record<string, ToolSchemaJson>> | undefined = undefined;
