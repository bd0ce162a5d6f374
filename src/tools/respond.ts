/**
 * The one place tool outcomes become MCP results: replies get their text and
 * resource links; errors become `isError: true` results with a stable code and
 * an actionable message. Everything is scrubbed of secrets on the way out.
 */
import type { CallToolResult, ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { KlingError } from '../errors.js';
import { redact } from '../util/redact.js';
import type { Logger } from '../util/log.js';

export interface ToolReply<S> {
  structured: S;
  text: string;
  links?: ResourceLink[];
}

export function toToolResult<S>(reply: ToolReply<S>): CallToolResult {
  const result: CallToolResult = {
    content: [{ type: 'text', text: reply.text }, ...(reply.links ?? [])],
    structuredContent: reply.structured as Record<string, unknown>,
  };
  return scrub(result);
}

export function toToolError(err: unknown, log: Logger): CallToolResult {
  const e =
    err instanceof KlingError
      ? err
      : new KlingError('upstream_bad_response', `Unexpected internal error: ${err instanceof Error ? err.message : String(err)}. This is a bug in kling-o1-mcp; the details are in its log.`);
  if (!(err instanceof KlingError)) log.error(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const id = e.extra.requestId;
  const text = id && !e.message.includes(id) ? `${e.message}\nrequest_id: ${id}` : e.message;
  return scrub({
    content: [{ type: 'text', text }],
    structuredContent: { error: { code: e.code, message: e.message, ...(e.extra.retryAfterS !== undefined && { retry_after_s: e.extra.retryAfterS }) }, ...(id && { request_id: id }) },
    isError: true,
  });
}

function scrub(result: CallToolResult): CallToolResult {
  return JSON.parse(redact(JSON.stringify(result))) as CallToolResult;
}
