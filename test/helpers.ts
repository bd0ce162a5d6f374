/** Shared test rigs: the simulator on loopback, images, and MCP clients in memory or over stdio. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { EXTENSION_ID, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, type CallToolResult, type ClientCapabilities, type Progress } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import type { z, ZodRawShape } from 'zod';
import { createServer } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { AppContext } from '../src/context.js';
import { RunComfySimulator, SIM_TOKEN, type SimulatorOptions } from '../src/simulator/simulator.js';
import type { Clock } from '../src/util/clock.js';
import type { TOOLS } from '../src/tools/index.js';
import { createLogger } from '../src/util/log.js';
import { registerSecret } from '../src/util/redact.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'dist', 'server.js');

export function tempDir(prefix = 'kling-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function image(
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'avif' | 'tiff' = 'png',
  color = '#3366cc',
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } })
    .toFormat(format)
    .toBuffer();
}

/**
 * A decompression bomb: a valid 1-bit greyscale PNG of width×height black pixels, written by hand (a few KB that
 * decode to hundreds of megapixels). Encoding it through sharp would push every pixel through libvips: seconds.
 */
export function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(zlib.crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth; colour type 0 (grey), deflate, filter 0, no interlace
  // Each row: filter byte 0, then width bits of 0.
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

export async function startSim(opts: SimulatorOptions = {}): Promise<RunComfySimulator> {
  const sim = new RunComfySimulator({ clipWidth: 64, timing: { 5: { queueMs: 300, runMs: 600 }, 10: { queueMs: 300, runMs: 900 } }, ...opts });
  await sim.start();
  return sim;
}

/** Hosts a valid pair of keyframes on the simulator; returns their URLs. */
export async function keyframes(sim: RunComfySimulator, w = 640, h = 360): Promise<{ start: string; end: string }> {
  return {
    start: sim.host('start.png', await image(w, h, 'png', '#d04040'), 'image/png'),
    end: sim.host('end.png', await image(w, h, 'png', '#40d040'), 'image/png'),
  };
}

/** A server's environment; undefined removes a setting. */
export type Env = Record<string, string | undefined>;

export function simEnv(sim: RunComfySimulator, dir: string, extra: Env = {}): Env {
  return {
    RUNCOMFY_BASE_URL: sim.url,
    RUNCOMFY_ACCOUNT_BASE_URL: sim.url,
    RUNCOMFY_API_TOKEN: SIM_TOKEN,
    KLING_MCP_ALLOW_PRIVATE_URLS: '1',
    KLING_MCP_STATE_DIR: path.join(dir, 'state'),
    KLING_MCP_OUTPUT_DIR: path.join(dir, 'out'),
    KLING_MCP_POLL_QUEUE_MS: '50-200',
    KLING_MCP_POLL_NEAR_MS: '50',
    KLING_MCP_POLL_MAX_MS: '200',
    KLING_MCP_EXPECTED_RUN_S: '5:0.6,10:0.9',
    KLING_MCP_UPSTREAM_RPS: '200',
    KLING_MCP_LOG_LEVEL: 'warn',
    // Big boards would otherwise answer with a quote (clients here have no elicitation); quote.test.ts tests that.
    KLING_MCP_CONFIRM_ABOVE_USD: '1000',
    ...extra,
  };
}

export interface Connected {
  client: Client;
  app: AppContext;
  logs: string[];
  close: () => Promise<void>;
}

/** A client as a real one would declare itself: pass capabilities (elicitation, roots) and set handlers before connecting. */
export function newClient(capabilities: ClientCapabilities = {}): Client {
  return new Client({ name: 'test-client', version: '1.0.0' }, { capabilities });
}

/** A client that renders MCP Apps (the player page): it is offered the app-only tools too. */
export const uiClient = () => newClient({ extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } });

export async function connectInMemory(env: Env, clock?: Clock, client: Client = newClient(), diskClock?: Clock): Promise<Connected> {
  registerSecret(env.RUNCOMFY_API_TOKEN);
  const logs: string[] = [];
  const config = loadConfig(env);
  const app = new AppContext(
    config,
    createLogger(config.logLevel, (l) => logs.push(l)),
    clock,
    diskClock,
  );
  const server = createServer(app);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    client,
    app,
    logs,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** The built bin over stdio: its stderr so far, and the transport (the process id). */
export interface Spawned {
  client: Client;
  stderr: () => string;
  transport: StdioClientTransport;
  close: () => Promise<void>;
}

/** A child process's environment: PATH and HOME, then `env` (undefined removes a setting). */
function childEnv(env: Env): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, ...env }).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

export async function connectStdio(env: Env, client: Client = newClient()): Promise<Spawned> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN],
    env: childEnv(env),
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await client.connect(transport);
  return { client, stderr: () => err, transport, close: () => client.close() };
}

/** What the built bin printed and how it ended, run as a terminal command (stdin left open: it must not wait on it). */
export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runBin(args: string[], env: Env = {}): Promise<BinRun> {
  return new Promise((resolve, reject) => {
    // The kill only keeps a hung bin from outliving its test; the test's own timeout is the budget.
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

/** A tool's answer with its structured content typed. */
export type ToolResult<S> = CallToolResult & { structuredContent?: S };
type Tool = (typeof TOOLS)[number];
export type ToolName = Tool['name'];
/** What a tool answers in structuredContent, as its output schema declares it (the schema is the source of truth). */
export type ToolOutput<N extends ToolName> = Extract<Tool, { name: N }> extends { output: infer O extends ZodRawShape } ? z.output<z.ZodObject<O>> : never;

/** Calls a tool through the real client; a known tool's structuredContent comes typed by its output schema. */
export async function call<N extends ToolName>(
  client: Client,
  name: N,
  args: Record<string, unknown>,
  onprogress?: (p: Progress) => void,
): Promise<ToolResult<ToolOutput<N>>>;
/** A name that is not a tool (the server's refusal is what is tested). */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  onprogress?: (p: Progress) => void,
): Promise<ToolResult<Record<string, unknown>>>;
export async function call(client: Client, name: string, args: Record<string, unknown>, onprogress?: (p: Progress) => void): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, CallToolResultSchema, { onprogress, timeout: 60_000 })) as CallToolResult;
}

/** A JSON resource's document; T names what the test reads (the server's own type, where it has one). */
export async function readJson<T>(client: Client, uri: string): Promise<T> {
  const content = (await client.readResource({ uri })).contents[0]!;
  return JSON.parse('text' in content ? content.text : '') as T;
}

export { textOf } from './tool-result.js';

/**
 * Polls until cond holds: for a test waiting on another process or the simulator. Its real-time limit only bounds a
 * hang; never use it to assert how long something took (time that matters runs on a VirtualClock). The default sits
 * just under vitest's 30 s test timeout, so a hang still names its condition while a slow machine never meets it.
 */
export async function until(cond: () => boolean | Promise<boolean>, ms = 25_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
