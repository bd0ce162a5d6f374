/**
 * `npm run demo`: the whole job offline, in one command. Starts the RunComfy
 * simulator, starts the built server over stdio, connects a real MCP client,
 * makes a video (or, with --storyboard, a 3-shot film), shows the progress
 * notifications as a bar, and checks what was saved.
 *
 *   npm run demo -- [start-image end-image ["prompt"]]   (paths or http(s) URLs)
 *   npm run demo -- --storyboard                          (4 keyframes, 3 shots, one stitched film)
 *   npm run demo -- --from-text "a paper boat drifts down a rainy street"
 *     (from words alone: a character sheet and 3 keyframes that reference it, a 3-shot board, a soundtrack, the film with sound)
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { probeClip } from '../src/media/probe.js';
import { RunComfySimulator, SIM_TOKEN } from '../src/simulator/simulator.js';
import { demoKeyframes, sunriseKeyframes } from './keyframes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.env.KLING_DEMO_OUTPUT_DIR ?? path.join(root, '.demo-output');
const storyboard = process.argv.includes('--storyboard');
const fromTextAt = process.argv.indexOf('--from-text');
const fromText = fromTextAt < 0 ? undefined : (process.argv[fromTextAt + 1] ?? 'a paper boat drifts down a rainy street');
const [startArg, endArg, promptArg] = process.argv.slice(2).filter((a, i, all) => a !== '--storyboard' && a !== '--from-text' && all[i - 1] !== '--from-text');

// `npm run` starts scripts in the package's folder; a relative path means the folder the user ran it from (INIT_CWD).
const invokedFrom = process.env.INIT_CWD ?? process.cwd();

async function imageSource(sim: RunComfySimulator, name: string, arg: string | undefined, fallback: Buffer): Promise<string> {
  if (arg && /^https?:\/\//.test(arg)) return arg;
  const body = arg ? await readFile(path.resolve(invokedFrom, arg)) : fallback;
  return sim.host(name, body);
}

function bar(progress: number, message: string): string {
  const width = 30;
  const filled = Math.round((progress / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${progress.toFixed(0).padStart(3)}%  ${message}`;
}

/** Calls a tool, drawing its progress notifications as a bar; returns the result and its text. */
async function callWithBar(client: Client, name: string, args: Record<string, unknown>): Promise<{ result: CallToolResult; text: string }> {
  const tty = process.stdout.isTTY;
  const result = (await client.callTool({ name, arguments: args }, CallToolResultSchema, {
    timeout: 120_000,
    onprogress: (p) => {
      const line = bar(p.progress, p.message ?? '');
      if (tty) process.stdout.write(`\r${line.slice(0, 110).padEnd(110)}`);
      else console.log(line);
    },
  })) as CallToolResult;
  if (tty) process.stdout.write('\n');
  return { result, text: result.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n') };
}

/** The saved clip is a real H.264 video, or undefined. */
async function checkClip(file: string | undefined) {
  const clip = file ? await probeClip(file).catch(() => undefined) : undefined;
  return clip && clip.codec === 'avc' && clip.frames >= 2 ? clip : undefined;
}

async function oneClip(client: Client, sim: RunComfySimulator): Promise<number> {
  const frames = await demoKeyframes();
  const start = await imageSource(sim, 'start.png', startArg, frames.start);
  const end = await imageSource(sim, 'end.png', endArg, frames.end);
  // A frame of the user's own is shown by its path too: the simulator can only fetch it from its own address.
  const shown = (url: string, arg: string | undefined) => (arg && arg !== url ? `${path.resolve(invokedFrom, arg)} (served at ${url})` : url);
  console.log(`Start frame: ${shown(start, startArg)}\nEnd frame:   ${shown(end, endArg)}\n`);
  const prompt = promptArg ?? '@Image1 the sun rises slowly over the sea until @Image2';
  const { result, text } = await callWithBar(client, 'generate_video', { prompt, start_image_url: start, end_image_url: end, duration: 5 });
  if (result.isError) {
    console.error(`\ngenerate_video failed:\n${text}`);
    return 1;
  }
  const file = (result.structuredContent as { files?: { path: string }[] }).files?.[0]?.path;
  const clip = await checkClip(file);
  if (!clip) {
    console.error(`\nNo H.264 clip was saved:\n${text}`);
    return 1;
  }
  console.log(`\n${text}\n`);
  console.log(
    `Clip: ${file} (H.264 MP4, ${clip.width}×${clip.height} px, ${clip.frames} frames, ${clip.durationS.toFixed(1)} s; open it in any video player or browser)`,
  );
  console.log(`\nStructured result:\n${JSON.stringify(result.structuredContent, null, 2)}`);
  return 0;
}

async function threeShots(client: Client, sim: RunComfySimulator): Promise<number> {
  const keys = (await sunriseKeyframes(4)).map((k, i) => sim.host(`key${i}.png`, k, 'image/png'));
  const shots = ['dawn breaks over the sea', 'the sun climbs through the haze', 'the sky clears to noon'].map((what, i) => ({
    prompt: `@Image1 ${what} until @Image2`,
    start_image_url: keys[i],
    end_image_url: keys[i + 1],
  }));
  console.log(`Keyframes: ${keys.join(', ')}\n`);
  const { result, text } = await callWithBar(client, 'generate_storyboard', { title: 'Sunrise', shots });
  const board = result.structuredContent as { film?: { path: string } | null; sheet?: { path: string } } | undefined;
  const film = await checkClip(board?.film?.path);
  if (result.isError || !film || !board?.sheet) {
    console.error(`\ngenerate_storyboard did not make a film:\n${text}`);
    return 1;
  }
  console.log(`\n${text}\n`);
  console.log(`Film: ${board.film!.path} (H.264 MP4, ${film.width}×${film.height} px, ${film.frames} frames, ${film.durationS.toFixed(1)} s)`);
  console.log(`Contact sheet: ${board.sheet.path}`);
  return 0;
}

/** A call that must succeed: its text, or the demo stops with it. */
async function must(client: Client, name: string, args: Record<string, unknown>): Promise<{ result: CallToolResult; text: string }> {
  const r = await callWithBar(client, name, args);
  if (r.result.isError) throw new Error(`${name} failed:\n${r.text}`);
  console.log(`\n${r.text}\n`);
  return r;
}

type Keyframes = { keyframes: { keyframe_id: string; file?: { path: string } }[] };

/** From words alone: a character sheet, three keyframes that keep it, a board of them, music as long as its film, the film with it. */
async function fromWords(client: Client, sim: RunComfySimulator, text: string): Promise<number> {
  // Every job of the demo short, so it takes seconds: 4 keyframes, 3 shots, 1 track.
  sim.planNext(...Array.from({ length: 8 }, () => ({ queueMs: 500, runMs: 2_500 })));
  const sheet = (await must(client, 'generate_keyframes', { keyframes: [{ prompt: `character sheet: ${text}, front and side views` }], resolution: '1K' }))
    .result.structuredContent as Keyframes;
  const sheetId = sheet.keyframes[0]!.keyframe_id;
  const moments = ['at the start', 'halfway', 'at the end'];
  const made = (
    await must(client, 'generate_keyframes', {
      keyframes: moments.map((when) => ({ prompt: `${text}, ${when}`, references: [sheetId] })),
      resolution: '1K',
    })
  ).result.structuredContent as Keyframes;
  const frames = [sheet.keyframes[0]!, ...made.keyframes];
  const shots = [0, 1, 2].map((i) => ({
    prompt: `@Image1 ${text} until @Image2`,
    start_image_url: frames[i]!.keyframe_id,
    end_image_url: frames[i + 1]!.keyframe_id,
  }));
  const board = (await must(client, 'generate_storyboard', { title: text, shots })).result.structuredContent as { storyboard_id: string };
  const track = (await must(client, 'generate_soundtrack', { prompt: `music for a short film: ${text}`, for_storyboard: board.storyboard_id })).result
    .structuredContent as { soundtrack_id: string; file?: { path: string } };
  const scored = (await must(client, 'revise_storyboard', { storyboard_id: board.storyboard_id, shots, soundtrack: track.soundtrack_id })).result
    .structuredContent as { film?: { path: string } | null };
  const film = await checkClip(scored.film?.path);
  if (!film?.audio) {
    console.error('No film with sound was made.');
    return 1;
  }
  for (const k of frames) console.log(`Keyframe: ${k.keyframe_id} ${k.file?.path ?? '(not saved)'}`);
  console.log(`Storyboard: ${board.storyboard_id}`);
  console.log(`Soundtrack: ${track.soundtrack_id} ${track.file?.path ?? '(not saved)'}`);
  console.log(`Film: ${scored.film!.path} (H.264 MP4 with ${film.audio.codec} sound, ${film.width}×${film.height} px, ${film.durationS.toFixed(1)} s)`);
  console.log(`RunComfy submissions: ${sim.submissions}; simulated cost $${sim.spentUsd().toFixed(2)}`);
  return 0;
}

async function main(): Promise<number> {
  const sim = new RunComfySimulator({ timing: { 5: { queueMs: 1500, runMs: 5000 }, 10: { queueMs: 1500, runMs: 8000 } } });
  await sim.start();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(root, 'dist', 'server.js')],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      RUNCOMFY_BASE_URL: sim.url,
      RUNCOMFY_ACCOUNT_BASE_URL: sim.url,
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
    console.log(`Simulated RunComfy at ${sim.url}`);
    if (fromText !== undefined) return await fromWords(client, sim, fromText);
    return await (storyboard ? threeShots(client, sim) : oneClip(client, sim));
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
