/**
 * The one place tool outcomes become MCP results: replies get their text and
 * resource links; errors become `isError: true` results with a stable code and
 * an actionable message. Everything is scrubbed of secrets on the way out.
 */
import type { CallToolResult, ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { KlingError, requestIdsOf } from '../errors.js';
import { redact } from '../util/redact.js';
import type { Logger } from '../util/log.js';

export const ERROR_META_KEY = 'kling-o1-mcp/error';

export interface ToolReply<S> {
  structured: S;
  text: string;
  links?: ResourceLink[];
  /** The call did what was asked but the outcome is a failure (e.g. the job failed upstream). */
  isError?: boolean;
}

export function toToolResult<S>(reply: ToolReply<S>): CallToolResult {
  const result: CallToolResult = {
    content: [{ type: 'text', text: reply.text }, ...(reply.links ?? [])],
    structuredContent: reply.structured as Record<string, unknown>,
    ...(reply.isError && { isError: true }),
  };
  return scrub(result);
}

export function toToolError(err: unknown, log: Logger): CallToolResult {
  const e =
    err instanceof KlingError
      ? err
      : new KlingError('internal', `Unexpected internal error: ${err instanceof Error ? err.message : String(err)}. This is a bug in kling-o1-mcp; the details are in its log.`);
  if (!(err instanceof KlingError)) log.error(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const ids = requestIdsOf(e);
  const missing = ids.filter((id) => !e.message.includes(id));
  const text = missing.length > 0 ? `${e.message}\n${missing.length === 1 ? 'request_id' : 'request_ids'}: ${missing.join(', ')}` : e.message;
  // No structuredContent: clients validate it against the tool's output schema even on errors.
  // The machine-readable part rides in _meta instead.
  return scrub({
    content: [{ type: 'text', text: `${text}\n(error code: ${e.code})` }],
    isError: true,
    _meta: {
      [ERROR_META_KEY]: {
        code: e.code,
        ...(ids.length === 1 && { request_id: ids[0] }),
        ...(ids.length > 0 && { request_ids: ids }),
        ...(e.extra.retryAfterS !== undefined && { retry_after_s: e.extra.retryAfterS }),
      },
    },
  });
}

function scrub(result: CallToolResult): CallToolResult {
  return JSON.parse(redact(JSON.stringify(result))) as CallToolResult;
}
