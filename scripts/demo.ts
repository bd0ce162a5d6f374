/**
 * `npm run demo`: the whole job offline, in one command. Starts the RunComfy
 * simulator, starts the built server over stdio, connects a real MCP client,
 * calls generate_video with two keyframes, shows the progress notifications as
 * a bar, and checks the saved clip.
 *
 *   npm run demo -- [start-image end-image ["prompt"]]   (paths or http(s) URLs)
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { probeClip } from '../src/media/probe.js';
import { RunComfySimulator, SIM_TOKEN } from '../src/simulator/simulator.js';
import { demoKeyframes } from './keyframes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.env.KLING_DEMO_OUTPUT_DIR ?? path.join(root, '.demo-output');
const [startArg, endArg, promptArg] = process.argv.slice(2);

async function imageSource(sim: RunComfySimulator, name: string, arg: string | undefined, fallback: Buffer): Promise<string> {
  if (arg && /^https?:\/\//.test(arg)) return arg;
  const body = arg ? await readFile(arg) : fallback;
  return sim.host(name, body);
}

function bar(progress: number, message: string): string {
  const width = 30;
  const filled = Math.round((progress / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${progress.toFixed(0).padStart(3)}%  ${message}`;
}

async function main(): Promise<number> {
  const sim = new RunComfySimulator({ timing: { 5: { queueMs: 1500, runMs: 5000 }, 10: { queueMs: 1500, runMs: 8000 } } });
  await sim.start();
  const frames = await demoKeyframes();
  const start = await imageSource(sim, 'start.png', startArg, frames.start);
  const end = await imageSource(sim, 'end.png', endArg, frames.end);

  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(root, 'dist', 'server.js')],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      RUNCOMFY_BASE_URL: sim.url,
      RUNCOMFY_API_TOKEN: SIM_TOKEN,
      KLING_MCP_ALLOW_PRIVATE_URLS: '1',
      KLING_MCP_STATE_DIR: path.join(outDir, 'state'),
      KLING_MCP_OUTPUT_DIR: path.join(outDir, 'videos'),
      KLING_MCP_EXPECTED_RUN_S: '5:5,10:8',
      KLING_MCP_LOG_LEVEL: 'warn',
    },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'kling-o1-mcp-demo', version: '1.0.0' });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    console.log(`Connected to kling-o1-mcp over stdio; tools: ${tools.map((t) => t.name).join(', ')}`);
    console.log(`Simulated RunComfy at ${sim.url}\nStart frame: ${start}\nEnd frame:   ${end}\n`);
    const tty = process.stdout.isTTY;
    const result = (await client.callTool(
      {
        name: 'generate_video',
        arguments: { prompt: promptArg ?? '@Image1 the sun rises slowly over the sea until @Image2', start_image_url: start, end_image_url: end, duration: 5 },
      },
      CallToolResultSchema,
      {
        timeout: 120_000,
        onprogress: (p) => {
          const line = bar(p.progress, p.message ?? '');
          if (tty) process.stdout.write(`\r${line.padEnd(100)}`);
          else console.log(line);
        },
      },
    )) as CallToolResult;
    if (tty) process.stdout.write('\n');
    const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    if (result.isError) {
      console.error(`\ngenerate_video failed:\n${text}`);
      return 1;
    }
    const s = result.structuredContent as { files?: { path: string }[] };
    const file = s.files?.[0]?.path;
    if (!file) {
      console.error(`\nNo clip was saved:\n${text}`);
      return 1;
    }
    const clip = await probeClip(file).catch(() => undefined);
    if (!clip || clip.codec !== 'avc' || clip.frames < 2) {
      console.error(`\n${file} is not an H.264 video clip.`);
      return 1;
    }
    console.log(`\n${text}\n`);
    console.log(`Clip: ${file} (H.264 MP4, ${clip.width}×${clip.height} px, ${clip.frames} frames, ${clip.durationS.toFixed(1)} s; open it in any video player or browser)`);
    console.log(`\nStructured result:\n${JSON.stringify(result.structuredContent, null, 2)}`);
    return 0;
  } finally {
    await client.close().catch(() => undefined);
    await sim.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
