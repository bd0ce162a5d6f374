/**
 * The server's stdio transport. The MCP SDK's StdioServerTransport closes the
 * connection when one message passes its 10 MiB cap (STDIO_DEFAULT_MAX_BUFFER_SIZE),
 * which a call with big inline (data:) images reaches easily. This one reads
 * line by line under the same cap, skips an oversized line without holding it
 * in memory, and answers it (by the id found at its head or tail) with an error
 * that names the better form of the input; the connection stays up.
 */
import process from 'node:process';
import type { Readable, Writable } from 'node:stream';
import { deserializeMessage, serializeMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { KlingError } from './errors.js';
import { toToolError } from './calls/respond.js';
import { formatBytes } from './util/format.js';
import type { Logger } from './util/log.js';

/** The most one message may hold, as every SDK stdio transport reads it (a client reading our answers too). */
export const MAX_MESSAGE_BYTES = STDIO_DEFAULT_MAX_BUFFER_SIZE;
/** What is kept of a skipped line's head and tail: where a JSON-RPC message's id and method are. */
const KEEP_BYTES = 4096;

interface Skipped {
  head: Buffer;
  tail: Buffer;
  bytes: number;
}

export function tooLargeMessage(bytes: number): string {
  return (
    `This request is ${formatBytes(bytes)} (${bytes.toLocaleString('en-US')} bytes), over the ${formatBytes(MAX_MESSAGE_BYTES)} one MCP message may hold ` +
    "over stdio (the MCP SDK's stdio transport limit), so the server did not read it and nothing was submitted. Inline images (data: URIs) " +
    'take 4/3 of the image file in the message: give local keyframes as absolute file paths or file:// URLs instead (the server reads ' +
    'the file itself), or as public https:// URLs.'
  );
}

/** The id of a request from its head (id before params) or its tail (id after params, as the SDK's client writes it). */
function idOf(s: Skipped): string | number | undefined {
  const head = s.head.toString('utf8');
  const idAt = /"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)/g;
  const params = head.indexOf('"params"');
  const early = idAt.exec(params === -1 ? head : head.slice(0, params));
  const late = early ?? [...s.tail.toString('utf8').matchAll(idAt)].at(-1);
  return late ? (JSON.parse(late[1]!) as string | number) : undefined;
}

export class LineTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private chunks: Buffer[] = [];
  private size = 0;
  private skipping: Skipped | undefined;

  constructor(
    private readonly log: Logger,
    private readonly stdin: Readable = process.stdin,
    private readonly stdout: Writable = process.stdout, // eslint-disable-line no-restricted-properties -- stdout-ok: the JSON-RPC channel itself
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  start(): Promise<void> {
    this.stdin.on('data', this.ondata);
    this.stdin.on('error', this.onStreamError);
    return Promise.resolve();
  }

  private readonly onStreamError = (err: Error) => this.onerror?.(err);

  private readonly ondata = (chunk: Buffer) => {
    for (let from = 0; from < chunk.length;) {
      const nl = chunk.indexOf(10, from);
      this.take(chunk.subarray(from, nl === -1 ? chunk.length : nl));
      if (nl === -1) return;
      this.endLine();
      from = nl + 1;
    }
  };

  private take(part: Buffer): void {
    const s = this.skipping;
    if (s) {
      s.tail = Buffer.concat([s.tail, part.subarray(-KEEP_BYTES)]).subarray(-KEEP_BYTES);
      s.bytes += part.length;
    } else if (this.size + part.length > this.maxBytes) {
      const seen = Buffer.concat([...this.chunks, part]);
      this.skipping = { head: Buffer.from(seen.subarray(0, KEEP_BYTES)), tail: Buffer.from(seen.subarray(-KEEP_BYTES)), bytes: seen.length };
      this.chunks = [];
      this.size = 0;
    } else {
      this.chunks.push(part);
      this.size += part.length;
    }
  }

  private endLine(): void {
    const skipped = this.skipping;
    this.skipping = undefined;
    if (skipped) return this.refuse(skipped);
    const line = Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, '');
    this.chunks = [];
    this.size = 0;
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch (err) {
      this.onerror?.(err as Error);
      return;
    }
    this.onmessage?.(message);
  }

  private refuse(s: Skipped): void {
    const text = tooLargeMessage(s.bytes);
    const id = idOf(s);
    this.log.warn(`refused a ${formatBytes(s.bytes)} message (over the ${formatBytes(MAX_MESSAGE_BYTES)} stdio cap)${id === undefined ? '' : `, id ${id}`}`);
    if (id === undefined) return; // a notification: nobody waits for an answer
    // A tool call gets a tool error, which the model reads; any other request a JSON-RPC error.
    const answer: JSONRPCMessage = /"method"\s*:\s*"tools\/call"/.test(s.head.toString('utf8'))
      ? { jsonrpc: '2.0', id, result: toToolError(new KlingError('request_too_large', text), this.log) }
      : { jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidRequest, message: text } };
    void this.send(answer);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(serializeMessage(message))) resolve();
      else this.stdout.once('drain', resolve);
    });
  }

  close(): Promise<void> {
    this.stdin.off('data', this.ondata);
    this.stdin.off('error', this.onStreamError);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.chunks = [];
    this.skipping = undefined;
    this.onclose?.();
    return Promise.resolve();
  }
}
