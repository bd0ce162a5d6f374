/**
 * Bench child: one server (in memory, with its client) makes a storyboard of
 * the shots whose keyframe URLs are given, against the simulator at argv[2];
 * prints JSON figures. Phase times come from the board's own progress messages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { createServer } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { AppContext } from '../../src/context.js';
import { createLogger } from '../../src/util/log.js';

const [simUrl, token, ...keys] = process.argv.slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'kling-bench-board-'));
const config = loadConfig({
  RUNCOMFY_BASE_URL: simUrl,
  RUNCOMFY_API_TOKEN: token,
  KLING_MCP_ALLOW_PRIVATE_URLS: '1',
  KLING_MCP_STATE_DIR: path.join(dir, 'state'),
  KLING_MCP_OUTPUT_DIR: path.join(dir, 'out'),
  KLING_MCP_EXPECTED_RUN_S: '5:3,10:3',
  KLING_MCP_LOG_LEVEL: 'error',
});
const app = new AppContext(config, createLogger(config.logLevel));
const server = createServer(app);
const [a, b] = InMemoryTransport.createLinkedPair();
const client = new Client({ name: 'bench', version: '1' });
await Promise.all([server.connect(b), client.connect(a)]);

const shots = keys.slice(1).map((end, i) => ({ prompt: `shot ${i + 1}`, start_image_url: keys[i], end_image_url: end, duration: i % 2 ? 10 : 5 }));
const seen: { at: number; message: string }[] = [];
const t0 = performance.now();
const r = await client.callTool({ name: 'generate_storyboard', arguments: { shots, wait_seconds: 600 } }, CallToolResultSchema, {
  timeout: 900_000,
  onprogress: (p) => seen.push({ at: performance.now() - t0, message: p.message ?? '' }),
});
const wallMs = performance.now() - t0;
const at = (re: RegExp) => seen.find((s) => re.test(s.message))?.at ?? NaN;
const board = r.structuredContent as { status?: string; film?: { duration_s: number; bytes: number } | null };
process.stdout.write(
  JSON.stringify({
    shots: shots.length,
    status: board.status,
    checkMs: at(/frames checked/),
    stitchMs: wallMs - at(/stitching the film/),
    wallMs,
    filmS: board.film?.duration_s ?? 0,
    filmMb: (board.film?.bytes ?? 0) / 2 ** 20,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
await client.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
