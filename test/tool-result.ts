/** Reading a tool's answer: its text and its error code. Light (no server, no sharp), so the setup file can use it. */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ErrorCode } from '../src/errors.js';
import { ERROR_META_KEY } from '../src/calls/respond.js';

export function textOf(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

export function errorCode(r: CallToolResult): ErrorCode | undefined {
  return (r._meta?.[ERROR_META_KEY] as { code?: ErrorCode } | undefined)?.code;
}
