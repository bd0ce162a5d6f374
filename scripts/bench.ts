/**
 * `npm run bench`: the speed and memory figures of kling-o1-mcp, as a markdown
 * table for the README. A benchmark, not a test: it asserts nothing.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { ImageFetcher } from '../src/preflight/fetch-image.js';
import { preflightImages } from '../src/preflight/preflight.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { fadeClip } from '../src/simulator/clip.js';
import { RunComfySimulator, SIM_TOKEN } from '../src/simulator/simulator.js';
import { VirtualClock } from '../src/util/clock.js';
import { BIN, ROOT, call, connectInMemory, connectStdio, image, simEnv, tempDir, type Connected } from '../test/helpers.js';
import { listedTools, MODEL_FACING_BUDGET_BYTES, modelFacingBytes, modelTools } from '../test/tool-definitions.js';

const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const rows: [string, string][] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;

async function coldStartMs(script: string): Promise<number> {
  const t0 = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [script],
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir() },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  await client.listTools();
  const t = performance.now() - t0;
  await client.close();
  return t;
}

/** What every turn of a conversation carries: the JSON a model reads of the tools, against its budget. */
async function benchToolDefinitions(): Promise<void> {
  const tools = modelTools(await listedTools());
  const each = tools
    .map((t) => ({ name: t.name, bytes: modelFacingBytes([t]) }))
    .sort((a, b) => b.bytes - a.bytes)
    .map((t) => `${t.name} ${t.bytes.toLocaleString('en')}`);
  rows.push([
    `Tool definitions a model reads: name + description + input schema of the ${tools.length} tools it is shown, as JSON (budget ${MODEL_FACING_BUDGET_BYTES.toLocaleString('en')} bytes)`,
    `${modelFacingBytes(tools).toLocaleString('en')} bytes (${each.join(', ')})`,
  ]);
}

/** Ours and the yardstick alternately (A B A B…), so drift in the machine's load hits both alike. */
async function benchColdStart(): Promise<void> {
  log('cold start…');
  const baseline = path.join(ROOT, 'scripts', 'bench', 'baseline-server.mjs');
  const ours: number[] = [];
  const base: number[] = [];
  await coldStartMs(BIN); // warm the file cache for both
  await coldStartMs(baseline);
  for (let i = 0; i < 11; i++) {
    ours.push(await coldStartMs(BIN));
    base.push(await coldStartMs(baseline));
  }
  const ratios = ours.map((x, i) => x / base[i]!);
  rows.push([
    'Cold start: spawn → initialize → tools/list (11 interleaved pairs, medians)',
    `${ms(median(ours))} (minimal SDK server with 4 trivial tools: ${ms(median(base))}; ratio ${(median(ours) / median(base)).toFixed(2)}×, median of pair ratios ${median(ratios).toFixed(2)}×)`,
  ]);
}

function noisePng(bytes: number): Promise<Buffer> {
  const side = Math.floor(Math.sqrt(bytes / 3));
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

async function benchPreflight(sim: RunComfySimulator): Promise<void> {
  log('pre-flight…');
  const fetcher = new ImageFetcher({ allowPrivate: true, timeoutMs: 20_000 });
  const a = sim.host(
    'b-start.jpg',
    await sharp(await noisePng(1280 * 720 * 3))
      .resize(1280, 720)
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
  const b = sim.host(
    'b-end.jpg',
    await sharp(await noisePng(1280 * 720 * 3))
      .resize(1280, 720)
      .flop()
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
  const big = await noisePng(9.9e6);
  const c = sim.host('b-big.png', big);
  const input = (s: string, e: string) => ({ prompt: 'p', start_image_url: s, end_image_url: e, duration: 5 as const });
  const time = async (s: string, e: string) => {
    const t0 = performance.now();
    await preflightImages(DEFAULT_MODEL, input(s, e), { fetcher });
    return performance.now() - t0;
  };
  await time(a, b);
  const pair: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < 15; i++) {
    pair.push(await time(a, b));
    large.push(await time(c, a));
  }
  rows.push(['Pre-flight check, two 1280×720 JPEGs on loopback (median of 15)', ms(median(pair))]);
  rows.push([`Pre-flight check, one ${(big.length / 1e6).toFixed(1)} MB PNG + one 1280×720 JPEG (median of 15)`, ms(median(large))]);
}

interface JobFigures {
  requests: number;
  lagMs: number;
}

/** Runs one generate_video call for a job planned as given; what it cost in status requests and how late it saw the end. */
async function pollOnce(sim: RunComfySimulator, c: Connected, frames: { start: string; end: string }, queueMs: number, runMs: number): Promise<JobFigures> {
  sim.planNext({ queueMs, runMs });
  const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 3600 });
  const id = r.structuredContent!.request_id as string;
  const polls = sim.requests.filter((q) => q.route === 'status' && q.path.includes(id));
  const finish = sim.finishTime(id)!;
  return { requests: polls.length, lagMs: polls.find((q) => q.at >= finish)!.at - finish };
}

function pollingFigures(runs: JobFigures[]): string {
  const requests = runs.map((r) => r.requests);
  const lags = runs.map((r) => r.lagMs);
  return `${(requests.reduce((x, y) => x + y, 0) / requests.length).toFixed(1)} status requests per job (max ${Math.max(...requests)}); completion seen after ${ms(median(lags))} median (max ${ms(Math.max(...lags))})`;
}

/** Default schedule settings; the expected run time comes from `expected` or the built-in default. */
const pollEnv = (sim: RunComfySimulator, dir: string, expected?: string) =>
  simEnv(sim, dir, {
    KLING_MCP_POLL_QUEUE_MS: undefined,
    KLING_MCP_POLL_NEAR_MS: undefined,
    KLING_MCP_POLL_MAX_MS: undefined,
    KLING_MCP_UPSTREAM_RPS: undefined,
    KLING_MCP_EXPECTED_RUN_S: expected,
  });

// Real run times scatter around the expectation: ±6 %.
const SCATTER = [-0.06, -0.04, -0.02, -0.01, 0, 0.01, 0.02, 0.04, 0.06];

async function benchPolling(): Promise<void> {
  log('polling…');
  const clock = new VirtualClock();
  const sim = new RunComfySimulator({ clock, clipWidth: 32 });
  await sim.start();
  const tmp = tempDir('kling-bench-poll-');
  try {
    const frames = { start: sim.host('s.png', await image(640, 360)), end: sim.host('e.png', await image(640, 360, 'png', '#aa2222')) };
    for (const total of [30, 60, 120]) {
      const queue = Math.round(total * 0.05 * 1000);
      const run = total * 1000 - queue;
      const c = await connectInMemory(pollEnv(sim, path.join(tmp.dir, String(total)), `5:${run / 1000}`), clock);
      const runs: JobFigures[] = [];
      for (const f of SCATTER) runs.push(await pollOnce(sim, c, frames, queue, Math.round(run * (1 + f))));
      await c.close();
      rows.push([`Simulated ${total} s job (9 runs, run time ±6 % around the expectation)`, pollingFigures(runs)]);
    }
    // Jobs that do not match the expectation (the default 90 s for a 5 s clip). Each runs in a fresh server, so
    // the expectation is not learned from the runs before it.
    const expected = loadConfig({}).poll.expectedRunMs[DEFAULT_MODEL.id]![5]!;
    for (const factor of [0.25, 0.5, 1, 2, 4]) {
      const runs: JobFigures[] = [];
      for (const [i, f] of SCATTER.entries()) {
        const c = await connectInMemory(pollEnv(sim, path.join(tmp.dir, `x${factor}-${i}`)), clock);
        runs.push(await pollOnce(sim, c, frames, 0.05 * expected, Math.round(factor * expected * (1 + f))));
        await c.close();
      }
      const runS = (factor * expected) / 1000;
      rows.push([
        `Simulated job running ${factor}× the expected ${expected / 1000} s (${runS} s ±6 %, 9 runs; goal: seen within ${ms(Math.max(1000, 100 * runS))})`,
        pollingFigures(runs),
      ]);
    }
  } finally {
    await sim.stop();
    tmp.cleanup();
  }
}

async function child(script: string, args: string[]): Promise<Record<string, number>> {
  const { stdout } = await promisify(execFile)(process.execPath, [TSX, path.join(ROOT, 'scripts', 'bench', script), ...args], {
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

/** The server's own peak resident set, as Linux reports it (other systems: unknown). */
function peakRssMb(pid: number | undefined): number | undefined {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return undefined;
  }
}

async function benchLoad(sim: RunComfySimulator): Promise<void> {
  log('100 concurrent jobs…');
  const start = sim.host('l-start.png', await image(1280, 720));
  const end = sim.host('l-end.png', await image(1280, 720, 'png', '#22aa22'));
  const tmp = tempDir('kling-bench-load-');
  // The shipped bin in its own process, so the memory measured is the server's alone.
  const env = simEnv(sim, tmp.dir, {
    KLING_MCP_UPSTREAM_RPS: undefined,
    KLING_MCP_POLL_QUEUE_MS: '500-2000',
    KLING_MCP_POLL_NEAR_MS: '250',
    KLING_MCP_POLL_MAX_MS: '2000',
    KLING_MCP_EXPECTED_RUN_S: '5:3',
    KLING_MCP_LOG_LEVEL: 'error',
  });
  const c = await connectStdio(env);
  try {
    const before = sim.count('status');
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(c.client, 'generate_video', { prompt: `job ${i}`, start_image_url: start, end_image_url: end, wait_seconds: 300 }),
      ),
    );
    const wallS = (performance.now() - t0) / 1000;
    const completed = results.filter((r) => r.structuredContent?.status === 'completed').length;
    const peak = peakRssMb(c.transport.pid ?? undefined);
    rows.push([
      '100 concurrent generate_video calls in one server process (the shipped bin over stdio; jobs: 1 s queued + 3 s running; reads capped at the default 10/s)',
      `${completed}/100 completed; wall ${wallS.toFixed(1)} s; ${sim.count('status') - before} status requests; server peak RSS ${peak === undefined ? 'n/a (Linux only)' : `${peak.toFixed(0)} MB`}`,
    ]);
  } finally {
    await c.close();
    tmp.cleanup();
  }
}

async function benchDownload(sim: RunComfySimulator): Promise<void> {
  log('500 MB download…');
  const size = 500 * 1024 * 1024;
  sim.planNext({ queueMs: 0, runMs: 0, outputBytes: size });
  const frames = { start: sim.host('d-s.png', await image(640, 360)), end: sim.host('d-e.png', await image(640, 360)) };
  const res = await fetch(`${sim.url}/v1/models/kling/kling-video-o1/image-to-video`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SIM_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'p', start_image_url: frames.start, end_image_url: frames.end }),
  });
  const { request_id } = (await res.json()) as { request_id: string };
  const r = await child('download.ts', [`${sim.url}/outputs/${request_id}.mp4`]);
  rows.push([
    'Saving a 500 MB result (streamed, hashed, fsynced, renamed)',
    `${(r.ms! / 1000).toFixed(1)} s; peak RSS ${r.peakRssMb!.toFixed(0)} MB (${r.rssBeforeMb!.toFixed(0)} MB before)`,
  ]);
}

/** A long history: the first list_jobs of a freshly spawned bin (which opens the ledger on that call), and its peak memory. */
async function benchHistory(sim: RunComfySimulator): Promise<void> {
  const figures: string[] = [];
  const imports: string[] = [];
  for (const jobs of [0, 10_000, 100_000]) {
    log(`history of ${jobs} jobs…`);
    const tmp = tempDir('kling-bench-history-');
    try {
      const made = await child('history.ts', [path.join(tmp.dir, 'state'), String(jobs)]);
      if (jobs > 0) imports.push(`${jobs.toLocaleString('en')} jobs (${made.events!.toLocaleString('en')} events) in ${(made.ms! / 1000).toFixed(1)} s`);
      // Three fresh servers each (median): on a shared machine one cold start alone is mostly noise.
      const times: number[] = [];
      const peaks: number[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await connectStdio(simEnv(sim, tmp.dir, { KLING_MCP_LOG_LEVEL: 'error' }));
        try {
          const t0 = performance.now();
          const r = await call(c.client, 'list_jobs', {});
          times.push(performance.now() - t0);
          if (r.structuredContent?.total !== jobs) throw new Error(`list_jobs counted ${r.structuredContent?.total} of ${jobs} jobs`);
          peaks.push(peakRssMb(c.transport.pid ?? undefined) ?? NaN);
        } finally {
          await c.close();
        }
      }
      const peak = Math.max(...peaks);
      figures.push(`${jobs.toLocaleString('en')} jobs: ${ms(median(times))}, peak RSS ${Number.isNaN(peak) ? 'n/a' : `${peak.toFixed(0)} MB`}`);
    } finally {
      tmp.cleanup();
    }
  }
  rows.push([
    'Long history: first list_jobs of a freshly spawned bin (it opens the ledger on that call; median of 3 servers), with finished jobs and 1,000 four-shot storyboards; server peak RSS (goal: ≤ 200 ms and ≤ 100 MB at 100,000 jobs)',
    `${figures.join('; ')}. Writing the history into a new ledger (one transaction, as a jsonl import does): ${imports.join(', ')}`,
  ]);
}

/** The 12-shot board of both board rows: 13 distinct 1280×720 JPEG keyframes, shots alternating 5 s and 10 s. */
interface BoardBench {
  title: string;
  /** The board's engine and sound (default: Kling O1, silent). */
  board?: { model: string; sound: boolean };
  /** What to measure once the board is made. */
  then?: (sim: RunComfySimulator, client: Connected['client'], boardId: string, shots: Record<string, unknown>[]) => Promise<void>;
}

async function benchBoard(bench: BoardBench): Promise<void> {
  log(`${bench.title.split(' (')[0]}…`);
  // Clips at the simulator's default size (256 px wide), so stitching moves real megabytes.
  const sim = new RunComfySimulator({ timing: { 5: { queueMs: 1000, runMs: 3000 }, 10: { queueMs: 1000, runMs: 4000 } } });
  await sim.start();
  const tmp = tempDir('kling-bench-board-');
  try {
    const keys = await Promise.all(
      Array.from({ length: 13 }, async (_, i) =>
        sim.host(
          `board-${i}.jpg`,
          await sharp(await noisePng(1280 * 720 * 3))
            .resize(1280, 720)
            .rotate(i % 2 ? 180 : 0)
            .jpeg({ quality: 90 })
            .toBuffer(),
        ),
      ),
    );
    const shots = keys.slice(1).map((end, i) => ({ prompt: `shot ${i + 1}`, start_image_url: keys[i], end_image_url: end, duration: i % 2 ? 10 : 5 }));
    const c = await connectStdio(
      simEnv(sim, tmp.dir, {
        KLING_MCP_UPSTREAM_RPS: undefined,
        KLING_MCP_POLL_QUEUE_MS: undefined,
        KLING_MCP_POLL_NEAR_MS: undefined,
        KLING_MCP_POLL_MAX_MS: undefined,
        KLING_MCP_EXPECTED_RUN_S: '5:3,10:4',
        KLING_MCP_LOG_LEVEL: 'error',
      }),
    );
    try {
      // Phase times come from the board's own progress messages.
      const seen: { at: number; message: string }[] = [];
      const t0 = performance.now();
      const r = await call(c.client, 'generate_storyboard', { shots, ...bench.board, wait_seconds: 600 }, (p) =>
        seen.push({ at: performance.now() - t0, message: p.message ?? '' }),
      );
      const wallMs = performance.now() - t0;
      const at = (re: RegExp) => seen.find((x) => re.test(x.message))?.at ?? NaN;
      const film = r.structuredContent?.film;
      const sound = film?.audio?.from === 'clips' ? `, with ${film.audio.duration_s?.toFixed(2)} s of the clips' sound` : '';
      const peak = peakRssMb(c.transport.pid ?? undefined);
      rows.push([
        bench.title,
        `${r.structuredContent?.status}; frames checked in ${ms(at(/frames checked/))}; ${sim.submissions} submissions; ${sim.count('status')} status requests; ` +
          `${film?.duration_s.toFixed(1) ?? 0} s film${sound} (${((film?.bytes ?? 0) / 2 ** 20).toFixed(1)} MB) stitched and verified in ${ms(wallMs - at(/stitching the film/))}; ` +
          `wall ${(wallMs / 1000).toFixed(1)} s; server peak RSS ${peak === undefined ? 'n/a (Linux only)' : `${peak.toFixed(0)} MB`}`,
      ]);
      await bench.then?.(sim, c.client, r.structuredContent!.storyboard_id, shots);
    } finally {
      await c.close();
    }
  } finally {
    await sim.stop();
    tmp.cleanup();
  }
}

function benchStoryboard(): Promise<void> {
  return benchBoard({
    title:
      '12-shot storyboard in one generate_storyboard call (the shipped bin over stdio; 13 distinct 1280×720 JPEG keyframes; shots alternate 5 s and 10 s; jobs 1 s queued + 3–4 s running)',
    then: benchRevisions,
  });
}

function benchEngineBoard(): Promise<void> {
  return benchBoard({
    title:
      '12-shot storyboard with sound on Kling 3.0 Pro (as the row above, model kling-3.0-pro-image-to-video and sound: true: every clip with 48 kHz stereo AAC, the film carrying it; goal: server peak RSS ≤ 150 MB)',
    board: { model: 'kling-3.0-pro-image-to-video', sound: true },
  });
}

/** Stitching a 12-shot board whose clips have sound, in a process of its own so its memory is the stitching's alone. */
async function benchStitchSound(): Promise<void> {
  log('12-shot film with sound…');
  const tmp = tempDir('kling-bench-sound-');
  try {
    // Clips as the simulator renders an engine's with sound: 256 px wide, 4 fps, 48 kHz stereo AAC.
    const frames = await Promise.all(
      [0, 1].map(async (i) =>
        sharp(await noisePng(640 * 360 * 3))
          .resize(640, 360)
          .rotate(i * 180)
          .png()
          .toBuffer(),
      ),
    );
    const clips: string[] = [];
    for (let i = 0; i < 12; i++) {
      const file = path.join(tmp.dir, `shot-${i + 1}.mp4`);
      writeFileSync(file, await fadeClip(i % 2 ? [...frames].reverse() : frames, { durationS: i % 2 ? 10 : 5, soundSeed: `shot ${i + 1}` }));
      clips.push(file);
    }
    const r = await child('stitch.ts', [path.join(tmp.dir, 'film.mp4'), ...clips]);
    rows.push([
      'Stitching a 12-shot board whose clips have sound (stitchClips in its own process: 256 px clips alternating 5 s and 10 s, each with 48 kHz stereo AAC; picture and sound packets copied, the film read back and verified; goal: RSS ≤ 150 MB)',
      `${r.durationS!.toFixed(1)} s film with ${r.audioS!.toFixed(2)} s of sound (${(r.bytes! / 2 ** 20).toFixed(1)} MB); stitched and verified in ${ms(r.ms!)}; peak RSS ${r.peakRssMb!.toFixed(0)} MB (${r.rssBeforeMb!.toFixed(0)} MB before)`,
    ]);
  } finally {
    tmp.cleanup();
  }
}

/** Revising the 12-shot board: one keyframe changed (two shots rendered), then a re-cut of all 12 from existing takes. */
async function benchRevisions(sim: RunComfySimulator, client: Connected['client'], id: string, shots: Record<string, unknown>[]) {
  log('12-shot revisions…');
  // Flipped: other bytes than every keyframe of the board (they are two images, each under several URLs).
  const key = sim.host(
    'board-6-new.jpg',
    await sharp(await noisePng(1280 * 720 * 3))
      .resize(1280, 720)
      .flip()
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
  const changed = shots.map((s, i) => ({ ...s, ...(i === 5 && { end_image_url: key }), ...(i === 6 && { start_image_url: key }) }));
  const submissions = sim.submissions;
  let t0 = performance.now();
  const one = await call(client, 'revise_storyboard', { storyboard_id: id, shots: changed, wait_seconds: 600 });
  const oneMs = performance.now() - t0;
  const rendered = one.structuredContent?.shots.filter((s) => s.source === 'rendered').length;
  rows.push([
    'One keyframe changed in the 12-shot board (revise_storyboard: shots 6 and 7 end and start on it)',
    `${one.structuredContent?.status}; ${rendered} shots rendered, ${12 - (rendered ?? 0)} reused; ${sim.submissions - submissions} submissions; new film stitched; wall ${(oneMs / 1000).toFixed(1)} s`,
  ]);
  const requests = sim.requests.length;
  t0 = performance.now();
  const recut = await call(client, 'revise_storyboard', { storyboard_id: id, shots: [...changed].reverse() });
  const recutMs = performance.now() - t0;
  rows.push([
    'Re-cut of the 12-shot board from existing takes (revise_storyboard: all 12 reordered, nothing rendered)',
    `${recut.structuredContent?.status}; ${sim.requests.length - requests} network requests; film of cut ${recut.structuredContent?.cut} stitched and verified; wall ${ms(recutMs)}`,
  ]);
}

/** Every row by name: `npm run bench -- --only history,storyboard` measures just those (while working on one goal). */
/** A 13-keyframe 2K batch through the shipped bin: one approval, 13 submissions, the images saved; the server's peak memory. */
async function benchKeyframes(): Promise<void> {
  log('13-keyframe 2K batch…');
  const sim = new RunComfySimulator();
  await sim.start();
  sim.planNext(...Array.from({ length: 13 }, () => ({ queueMs: 1_000, runMs: 3_000 })));
  const tmp = tempDir('kling-bench-keyframes-');
  try {
    const c = await connectStdio(simEnv(sim, tmp.dir, { KLING_MCP_UPSTREAM_RPS: undefined, KLING_MCP_LOG_LEVEL: 'error' }));
    try {
      const t0 = performance.now();
      const keyframes = Array.from({ length: 13 }, (_, i) => ({ prompt: `a paper boat on a rainy street, frame ${i + 1}` }));
      const r = await call(c.client, 'generate_keyframes', { keyframes, resolution: '2K', wait_seconds: 600 });
      const wallMs = performance.now() - t0;
      const made = r.structuredContent?.keyframes.filter((k) => k.file).length ?? 0;
      const bytes = r.structuredContent?.keyframes.reduce((sum, k) => sum + (k.file?.bytes ?? 0), 0) ?? 0;
      const peak = peakRssMb(c.transport.pid ?? undefined);
      rows.push([
        '13-keyframe 2K batch in one generate_keyframes call (the shipped bin over stdio; Seedream 5.0 Pro in the simulator, 2736×1536 PNGs; jobs 1 s queued + 3 s running)',
        `${made}/13 made and saved (${(bytes / 2 ** 20).toFixed(1)} MB); ${sim.submissions} submissions; cost $${r.structuredContent?.cost_usd}; wall ${(wallMs / 1000).toFixed(1)} s; ` +
          `server peak RSS ${peak === undefined ? 'n/a (Linux only)' : `${peak.toFixed(0)} MB`} (goal ≤ 150 MB)`,
      ]);
    } finally {
      await c.close();
    }
  } finally {
    await sim.stop();
    tmp.cleanup();
  }
}

/** `npm run demo -- --from-text …`, whole: 4 keyframes, a 3-shot board, a soundtrack, the film with sound. */
async function benchFromText(): Promise<void> {
  log('from-text demo…');
  const tmp = tempDir('kling-bench-demo-');
  try {
    const t0 = performance.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [TSX, path.join(ROOT, 'scripts', 'demo.ts'), '--from-text', 'a paper boat drifts down a rainy street'],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, KLING_DEMO_OUTPUT_DIR: tmp.dir },
        timeout: 300_000,
      },
    );
    const wallMs = performance.now() - t0;
    const totals = /RunComfy submissions: (\d+); simulated cost \$([\d.]+)/.exec(stdout);
    rows.push([
      '`npm run demo -- --from-text "a paper boat drifts down a rainy street"` (4 keyframes, a 3-shot board, a soundtrack, the film with sound; jobs 0.5 s queued + 2.5 s running)',
      `wall ${(wallMs / 1000).toFixed(1)} s; ${totals?.[1] ?? '?'} submissions; simulated cost $${totals?.[2] ?? '?'}`,
    ]);
  } finally {
    tmp.cleanup();
  }
}

const BENCHES: Record<string, (sim: RunComfySimulator) => Promise<void>> = {
  'tool-definitions': benchToolDefinitions,
  'cold-start': benchColdStart,
  preflight: benchPreflight,
  polling: benchPolling,
  load: benchLoad,
  download: benchDownload,
  history: benchHistory,
  storyboard: benchStoryboard,
  'engine-board': benchEngineBoard,
  'film-sound': benchStitchSound,
  keyframes: benchKeyframes,
  'from-text': benchFromText,
};
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt < 0 ? [] : (process.argv[onlyAt + 1] ?? '').split(',');
const unknown = ONLY.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  log(`unknown bench ${unknown.join(', ')}; the rows are ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const sim = new RunComfySimulator({ clipWidth: 32, timing: { 5: { queueMs: 1000, runMs: 3000 }, 10: { queueMs: 1000, runMs: 3000 } } });
  await sim.start();
  try {
    for (const [name, run] of Object.entries(BENCHES)) if (ONLY.length === 0 || ONLY.includes(name)) await run(sim);
  } finally {
    await sim.stop();
  }
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const stamp = new Date().toISOString().slice(0, 10);
  process.stdout.write(
    `\nkling-o1-mcp benchmark, ${stamp}, ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n\n`,
  );
  process.stdout.write('| measure | result |\n| --- | --- |\n');
  for (const [k, v] of rows) process.stdout.write(`| ${k} | ${v} |\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
