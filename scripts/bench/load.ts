/**
 * Bench child: one server (in memory, with its client) runs N concurrent
 * generate_video calls against the simulator at argv[2]; prints JSON figures.
 * Runs in its own process so its RSS and event-loop delay are the server's own.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

const [simUrl, token, start, end, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 100);
const dir = mkdtempSync(path.join(os.tmpdir(), 'kling-bench-'));
const config = loadConfig({
  RUNCOMFY_BASE_URL: simUrl,
  RUNCOMFY_API_TOKEN: token,
  KLING_MCP_ALLOW_PRIVATE_URLS: '1',
  KLING_MCP_STATE_DIR: path.join(dir, 'state'),
  KLING_MCP_OUTPUT_DIR: path.join(dir, 'out'),
  KLING_MCP_POLL_QUEUE_MS: '500-2000',
  KLING_MCP_POLL_NEAR_MS: '250',
  KLING_MCP_POLL_MAX_MS: '2000',
  KLING_MCP_EXPECTED_RUN_S: '5:3',
  KLING_MCP_LOG_LEVEL: 'error',
});
const app = new AppContext(config, createLogger(config.logLevel));
const server = createServer(app);
const [a, b] = InMemoryTransport.createLinkedPair();
const client = new Client({ name: 'bench', version: '1' });
await Promise.all([server.connect(b), client.connect(a)]);

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
const t0 = performance.now();
const results = await Promise.all(
  Array.from({ length: count }, (_, i) =>
    client.callTool({ name: 'generate_video', arguments: { prompt: `job ${i}`, start_image_url: start, end_image_url: end, wait_seconds: 300 } }, CallToolResultSchema, { timeout: 600_000 }),
  ),
);
const wallMs = performance.now() - t0;
eld.disable();
const completed = results.filter((r) => (r.structuredContent as { status?: string } | undefined)?.status === 'completed').length;
process.stdout.write(
  JSON.stringify({ count, completed, wallMs, peakRssMb: process.resourceUsage().maxRSS / 1024, eldP99Ms: eld.percentile(99) / 1e6 }) + '\n',
);
await client.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
