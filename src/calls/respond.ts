/**
 * The one place tool outcomes become MCP results: replies get their text and
 * resource links; errors become `isError: true` results with a stable code and
 * an actionable message. Everything is scrubbed of secrets on the way out.
 */
import { ErrorCode, McpError, type CallToolResult, type ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { KlingError, requestIdsOf, unexpectedError, type ErrorCode as KlingCode } from '../errors.js';
import { roundUsd } from '../util/format.js';
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

/** Anything thrown, as a KlingError; what is not one is a bug, logged in full. */
function asKlingError(err: unknown, log: Logger): KlingError {
  const e = err instanceof KlingError ? err : unexpectedError(err);
  if (e.code === 'internal') log.error(`unexpected error: ${e.cause instanceof Error ? (e.cause.stack ?? e.cause.message) : String(e.cause ?? e.message)}`);
  return e;
}

export function toToolError(err: unknown, log: Logger): CallToolResult {
  const e = asKlingError(err, log);
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
        ...(e.extra.quote && {
          confirm_quote: e.extra.quote.token,
          expires_at: new Date(e.extra.quote.expiresAt).toISOString(),
          estimate_usd: e.extra.quote.estimateUsd === undefined ? null : roundUsd(e.extra.quote.estimateUsd),
        }),
      },
    },
  });
}

/** Codes that mean the reader named something that is not there, or not well formed. */
const READER_MISTAKES: ReadonlySet<KlingCode> = new Set(['not_found', 'storyboard_not_found', 'invalid_request_id', 'invalid_input']);

/**
 * A resource read has no tool error to answer with: it fails with a JSON-RPC
 * error. An unknown id is the reader's mistake (InvalidParams, as the SDK
 * answers an unknown URI); anything else is the server's (InternalError). Either
 * way the text says what to do, and `data.code` carries the stable code.
 */
export function toResourceError(err: unknown, log: Logger): McpError {
  const e = asKlingError(err, log);
  const text = redact(e.message);
  const mcp = new McpError(READER_MISTAKES.has(e.code) ? ErrorCode.InvalidParams : ErrorCode.InternalError, text, { code: e.code });
  // The message goes on the wire as is, and the client puts its own "MCP error <code>:" in front: say it once.
  mcp.message = text;
  return mcp;
}

function scrub(result: CallToolResult): CallToolResult {
  return JSON.parse(redact(JSON.stringify(result))) as CallToolResult;
}
