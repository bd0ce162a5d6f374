/**
 * Logging to stderr (stdout is the JSON-RPC channel) and, once connected, to the
 * MCP client through notifications/message. Everything passes through redact().
 */
import type { LogLevel } from '../config.js';
import { redact } from './redact.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
type McpLevel = 'debug' | 'info' | 'warning' | 'error';
type McpSink = (level: McpLevel, data: string) => void;

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** Also forward to the MCP client (set when a server connects). */
  attach(sink: McpSink | undefined): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  let sink: McpSink | undefined;
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const text = redact(msg);
    write(`[kling-o1-mcp] ${lvl}: ${text}\n`);
    sink?.(lvl === 'warn' ? 'warning' : lvl, text);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    attach: (s) => {
      sink = s;
    },
  };
}
