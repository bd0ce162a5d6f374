/**
 * How the job and storyboard resources answer: once the ledger is open, as JSON,
 * and a failure as an MCP error that says what to do. While the ledger cannot
 * be opened (or the settings are bad) their listings and id completions come
 * out empty instead of failing, so resources/list still works and a read says why.
 */
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../context.js';
import { toResourceError } from '../calls/respond.js';

export function jsonContents(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
}

export async function readFromLedger(app: AppContext, uri: URL, produce: () => unknown): Promise<ReadResourceResult> {
  try {
    await app.init();
    return jsonContents(uri.href, await produce());
  } catch (err) {
    throw toResourceError(err, app.log);
  }
}

export async function listFromLedger<T>(app: AppContext, produce: () => Promise<T[]>): Promise<T[]> {
  try {
    await app.init();
  } catch {
    return [];
  }
  return produce();
}

/**
 * How many jobs or storyboards a list resource (and resources/list) shows: the
 * newest ones. A whole long history would outgrow one MCP message (the SDK's
 * stdio transport drops the connection past 10 MiB); list_jobs pages through it.
 */
export const LIST_LIMIT = 200;

/** Completion of an id argument: the known ids that start with what was typed, at most 100 (MCP's limit per answer). */
export function completeIds(app: AppContext, kind: 'jobs' | 'boards', typed: string): Promise<string[]> {
  return listFromLedger(app, () => app.ledger.completeIds(kind, typed, 100));
}
