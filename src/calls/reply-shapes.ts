/**
 * Pieces every answer shares, whether it is about a job or a storyboard: the
 * cost object and the link to a file this server saved.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { SavedFile } from '../ledger/records.js';

// zod writes .nullable() as `type: ["number", "null"]`, which strict clients (MCP Inspector --strict) flag as
// unportable; a union with the literal null is written as `anyOf`, one type per branch.
export const usdOrNull = () => z.union([z.number(), z.literal(null)]);

export const costSchema = z
  .object({
    estimate_usd: usdOrNull().describe('expected cost in USD when submitted (null: price unknown)'),
    charged_usd: usdOrNull().describe('what RunComfy charged, in USD, once it says (null: not known yet)'),
  })
  .describe('what the work costs');

/** A link to a file this server saved, as every answer gives it. */
export function fileLink(file: SavedFile, description: string): ResourceLink {
  return { type: 'resource_link', uri: pathToFileURL(file.path).href, name: path.basename(file.path), mimeType: file.mime, description };
}
