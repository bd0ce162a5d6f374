/**
 * The player in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) runs a small MCP Apps host (test/player/host.ts, ext-apps'
 * AppBridge) whose tool calls go to the real server over stdio, against the
 * simulator. Time: the simulator's clock is moved by hand and the page's timers
 * by playwright's clock, so nothing waits for real seconds.
 * UPDATE_SCREENSHOTS=1 writes the README's screenshots (docs/player-*.png).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ALL_FORMATS, FilePathSource, Input } from 'mediabunny';
import { EXTENSION_ID, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import type { CallToolRequest, ReadResourceRequest } from '@modelcontextprotocol/sdk/types.js';
import { NO_HOST } from '../src/player/model.js';
import { PLAYER_URI } from '../src/resources/player.js';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { systemClock, type Clock } from '../src/util/clock.js';
import { call, connectStdio, image, keyframes, newClient, ROOT, simEnv, startSim, tempDir, textOf } from './helpers.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
if (!CHROMIUM) {
  console.warn('player-browser.test.ts skipped: no Chromium found. Install Debian\'s "chromium" package (apt-get install chromium) or set CHROMIUM_PATH.');
}
// On this closed network Chromium hangs without the background-networking flags.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const REFRESH_MS = 3000;
const SHOTS_TO_DOCS = process.env.UPDATE_SCREENSHOTS === '1';

/** What the test reads of the host page and of a <video> (this file is compiled without the DOM's types). */
interface HostWindow {
  playerReady: Promise<void>;
  showResult(result: unknown): Promise<void>;
  setTheme(theme: 'light' | 'dark'): void;
}
interface VideoLike {
  readyState: number;
  duration: number;
  src: string;
}

/** The simulator's time, moved only by the test. */
class HandClock implements Clock {
  t = 1_700_000_000_000;
  now = () => this.t;
  sleep = systemClock.sleep;
  after = systemClock.after;
}

async function durationOf(file: string): Promise<number> {
  const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
  try {
    return await input.computeDuration();
  } finally {
    input.dispose();
  }
}

describe.skipIf(!CHROMIUM)('the player in headless Chromium, over stdio against the simulator', () => {
  const clock = new HandClock();
  let sim: RunComfySimulator;
  let tmp: ReturnType<typeof tempDir>;
  let server: Awaited<ReturnType<typeof connectStdio>>;
  let browser: BrowserContext;
  let http: Server;
  let origin: string;
  let SHOTS: string;

  beforeAll(async () => {
    sim = await startSim({ clock });
    tmp = tempDir();
    SHOTS = SHOTS_TO_DOCS ? path.join(ROOT, 'docs') : tmp.dir;
    const client = newClient({ extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } });
    server = await connectStdio(simEnv(sim, tmp.dir), client);

    // The page as the server serves it, under the CSP its resource declares (as hosts apply it).
    const resource = (await server.client.readResource({ uri: PLAYER_URI })).contents[0]!;
    const domains = ((resource._meta?.ui as { csp?: { resourceDomains?: string[] } } | undefined)?.csp?.resourceDomains ?? []).join(' ');
    const csp = `default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob: ${domains}; media-src data: blob: ${domains}; connect-src 'none'`;
    const hostScript = (
      await build({ entryPoints: [path.join(ROOT, 'test', 'player', 'host.ts')], bundle: true, write: false, format: 'iife', platform: 'browser' })
    ).outputFiles[0]!.text;
    const hostPage = `<!doctype html><html><body style="margin:0"><iframe id="player" sandbox="allow-scripts" style="border:0;width:100%;display:block" title="Kling O1 player"></iframe><script>${hostScript}</script></body></html>`;
    http = createServer((req, res) => {
      if (req.url === '/player.html') {
        res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': csp });
        res.end('text' in resource ? resource.text : '');
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(hostPage);
      }
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    // A fresh profile each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(path.join(tmp.dir, 'chromium'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => http?.close(ok));
    await server?.close();
    await sim?.stop();
    tmp?.cleanup();
  });

  /** Every tool call the page made, with its arguments. */
  let calls: CallToolRequest['params'][] = [];

  /** A host page at this width, its tool calls bridged to the server; the page's timers run on playwright's clock. */
  async function openHost(width: number): Promise<Page> {
    calls = [];
    const page = await browser.newPage();
    await page.setViewportSize({ width, height: 900 });
    await page.clock.install();
    await page.exposeFunction('hostCallTool', (p: CallToolRequest['params']) => (calls.push(p), server.client.callTool(p)));
    await page.exposeFunction('hostReadResource', (p: ReadResourceRequest['params']) => server.client.readResource(p));
    await page.goto(`${origin}/host.html`);
    await page.evaluate(() => (globalThis as unknown as HostWindow).playerReady);
    return page;
  }

  const player = (page: Page) => page.frameLocator('#player');

  /** The player as a person sees it: every video showing a frame from its middle, the whole page in the window. */
  async function screenshot(page: Page, name: string): Promise<void> {
    await stills(page);
    // Chromium paints a sandboxed frame only where the window shows it: make the window as tall as the player.
    const height = await page.locator('#player').evaluate((e) => Math.ceil(e.getBoundingClientRect().height));
    await page.setViewportSize({ width: page.viewportSize()!.width, height });
    await page.locator('#player').screenshot({ path: path.join(SHOTS, name) });
  }

  /** In a 360 px chat column nothing sticks out sideways. */
  async function fitsNarrowColumn(page: Page): Promise<void> {
    await page.setViewportSize({ width: 360, height: 900 });
    await expect
      .poll(() =>
        player(page)
          .locator('body')
          .evaluate((b) => b.scrollWidth),
      )
      .toBeLessThanOrEqual(360);
  }

  async function stills(page: Page): Promise<void> {
    await page.clock.resume();
    await player(page)
      .locator('video')
      .evaluateAll((vs) =>
        Promise.all(
          (
            vs as unknown as (VideoLike & {
              currentTime: number;
              muted: boolean;
              play(): Promise<void>;
              pause(): void;
              addEventListener(e: string, f: () => void): void;
            })[]
          ).map(async (v) => {
            // Played a moment and paused: the controls drop their loading ring, as they do for a person.
            v.muted = true;
            await v.play();
            v.pause();
            await new Promise<void>((seeked) => (v.addEventListener('seeked', () => seeked()), (v.currentTime = v.duration / 2)));
          }),
        ),
      );
  }

  it('opened without an MCP Apps host, the page says what shows it, in one line, and throws nothing', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${origin}/player.html`);
    await expect.poll(() => page.locator('#app').textContent()).toBe(NO_HOST);
    expect(await page.locator('#app > *').count()).toBe(1);
    // Nothing is left to fail later either (no request to itself waiting for an answer).
    await page.waitForTimeout(500);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a finished clip: the saved file plays from a Blob, at its own duration; no resource_link beside the player', async () => {
    const frames = await keyframes(sim);
    const submitted = await call(server.client, 'generate_video', {
      prompt: 'red to green',
      start_image_url: frames.start,
      end_image_url: frames.end,
      wait_seconds: 0,
    });
    expect(submitted.isError, textOf(submitted)).toBeFalsy();
    clock.t += 5_000;
    const done = await call(server.client, 'get_result', { request_id: submitted.structuredContent!.request_id, wait_seconds: 30 });
    expect(done.structuredContent?.status, textOf(done)).toBe('completed');
    expect(done.content.some((c) => c.type === 'resource_link')).toBe(false);
    const expected = await durationOf(done.structuredContent!.files![0]!.path);

    const page = await openHost(360);
    await page.evaluate((r) => (globalThis as unknown as HostWindow).showResult(r), done);
    const video = player(page).locator('video.video');
    await expect.poll(() => video.evaluate((v) => (v as unknown as VideoLike).readyState), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(Math.abs((await video.evaluate((v) => (v as unknown as VideoLike).duration)) - expected)).toBeLessThan(0.1);
    expect(await video.evaluate((v) => (v as unknown as VideoLike).src)).toMatch(/^blob:/);
    await expect.poll(() => player(page).locator('.badge').first().textContent()).toMatch(/^Done/);
    await expect.poll(() => player(page).locator('.strip figure').count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => player(page).locator('.prompt').first().textContent()).toBe('red to green');
    // The narrow chat column: nothing sticks out sideways.
    expect(
      await player(page)
        .locator('body')
        .evaluate((b) => b.scrollWidth),
    ).toBeLessThanOrEqual(360);
    await screenshot(page, 'player-clip.png');
    // The host turns dark: so does the page.
    const background = () =>
      player(page)
        .locator('body')
        .evaluate((b) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(b).backgroundColor);
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.evaluate(() => (globalThis as unknown as HostWindow).setTheme('dark'));
    await expect.poll(background).toBe('rgb(31, 31, 34)');
    await page.close();
  }, 60_000);

  it('a 3-shot board followed from running to completed: three shot cards, then the 15 s film', async () => {
    const colours = ['#d04040', '#d0a040', '#40a0d0', '#8040d0'];
    const frames = await Promise.all(colours.map(async (c, i) => sim.host(`board-${i}.png`, await image(640, 360, 'png', c), 'image/png')));
    const shots = frames
      .slice(0, 3)
      .map((start, i) => ({ prompt: `shot ${i + 1}: the colour walks on`, start_image_url: start, end_image_url: frames[i + 1]! }));
    const r = await call(server.client, 'generate_storyboard', { title: 'Colour walk', shots, wait_seconds: 0 });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent?.status).toBe('running');

    const submitted = sim.submissions;
    const page = await openHost(800);
    await page.evaluate((res) => (globalThis as unknown as HostWindow).showResult(res), r);
    const cards = player(page).locator('.shot');
    await expect.poll(() => cards.count()).toBe(3);
    await expect.poll(() => player(page).locator('.badge.board').textContent()).toMatch(/^Running: 0 of 3/);
    // As the answer has them: queued, or not checked since they were sent (the refresh below asks).
    expect(await cards.locator('.badge').allTextContents()).toEqual(Array(3).fill(expect.stringMatching(/^(Queued|Submitted, not checked yet)$/)));
    expect(await cards.evaluateAll((cs) => cs.map((c) => (c as unknown as { dataset: { shot?: string } }).dataset.shot))).toEqual(['1', '2', '3']);
    // A refresh tick while they wait: check_status gives each its place in the queue.
    await page.clock.runFor(REFRESH_MS);
    await expect
      .poll(() => cards.locator('.badge').allTextContents())
      .toEqual([expect.stringMatching(/^Queued, position \d/), expect.anything(), expect.anything()]);

    // The jobs finish on the simulator; each refresh tick of the page (wait_seconds 0) reports what it finds.
    clock.t += 10_000;
    const film = player(page).locator('video.film');
    for (let tick = 0; tick < 10 && (await film.count()) === 0; tick++) {
      await page.clock.runFor(REFRESH_MS);
      await film.waitFor({ timeout: 5_000 }).catch(() => undefined);
    }
    await expect.poll(() => film.evaluate((v) => (v as unknown as VideoLike).readyState), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(Math.abs((await film.evaluate((v) => (v as unknown as VideoLike).duration)) - 15)).toBeLessThan(0.1);
    await expect
      .poll(() => cards.evaluateAll((cs) => cs.map((c) => (c as unknown as { dataset: { status?: string } }).dataset.status)))
      .toEqual(['completed', 'completed', 'completed']);
    await expect.poll(() => player(page).locator('.badge.board').textContent()).toMatch(/film ready/);
    // The seed's clips are silent, and the film says so.
    await expect.poll(() => player(page).locator('dd', { hasText: 'none (no clip has sound)' }).count()).toBe(1);
    await expect.poll(() => player(page).locator('.strip img').count(), { timeout: 10_000 }).toBe(4);
    await expect
      .poll(() =>
        player(page)
          .locator('.shot video')
          .evaluateAll((vs) => vs.map((v) => (v as unknown as VideoLike).readyState >= 1)),
      )
      .toEqual([true, true, true]);
    // Final: the page stops refreshing. It never submitted anything, nor asked for anything that could.
    const made = calls.length;
    await page.clock.runFor(REFRESH_MS * 3);
    expect(calls.length).toBe(made);
    expect(sim.submissions).toBe(submitted);
    for (const c of calls) expect(['check_status', 'get_storyboard', 'player_file']).toContain(c.name);
    for (const c of calls) expect(c.arguments, c.name).not.toMatchObject({ resubmit_failed: true });
    await screenshot(page, 'player-board.png');
    // The same board in a narrow chat column: the cards stack.
    await fitsNarrowColumn(page);
    await page.close();
  }, 90_000);

  /** What a keyframe card shows, read off the page. */
  async function keyframeCards(page: Page) {
    return player(page)
      .locator('.keyframes .shot')
      .evaluateAll((cards) =>
        (
          cards as unknown as {
            dataset: { keyframe?: string };
            querySelector(s: string): { textContent: string | null; className: string } | null;
            querySelectorAll(s: string): ArrayLike<{ textContent: string | null }>;
          }[]
        ).map((c) => {
          const dl = Array.from(c.querySelectorAll('.facts > *')).map((e) => e.textContent ?? '');
          const facts: Record<string, string> = {};
          for (let i = 0; i + 1 < dl.length; i += 2) facts[dl[i]!] = dl[i + 1]!;
          const badge = c.querySelector('.badge');
          return {
            id: c.dataset.keyframe,
            title: c.querySelector('h3')?.textContent,
            badge: badge?.textContent,
            tone: badge?.className,
            prompt: c.querySelector('.prompt')?.textContent,
            facts,
          };
        }),
      );
  }

  /** Each keyframe image's source and decoded width (0 until it has loaded). */
  const keyframeImages = (page: Page) =>
    player(page)
      .locator('.keyframes img.thumb')
      .evaluateAll((is) =>
        (is as unknown as { src: string; naturalWidth: number; alt: string }[]).map((i) => ({ src: i.src, width: i.naturalWidth, alt: i.alt })),
      );

  it('a finished keyframe batch: a card per keyframe with its kf id, saved image, prompt, size, cost and state; it calls nothing more', async () => {
    // A character sheet, then four keyframes that keep it (its colour is the tile along their bottom edge); no queue.
    sim.planNext({ queueMs: 0, runMs: 0 });
    const sheet = await call(server.client, 'generate_keyframes', {
      keyframes: [{ prompt: 'character sheet: a small red paper boat' }],
      resolution: '1K',
      wait_seconds: 30,
    });
    expect(sheet.structuredContent?.done, textOf(sheet)).toBe(true);
    const boat = sheet.structuredContent!.keyframes[0]!.keyframe_id;
    const prompts = ['the boat at the kerb', 'the boat in a puddle', 'the boat under a bridge', 'the boat at the drain'];
    sim.planNext(...prompts.map(() => ({ queueMs: 0, runMs: 0 })));
    const r = await call(server.client, 'generate_keyframes', {
      keyframes: prompts.map((prompt) => ({ prompt, references: [boat] })),
      resolution: '1K',
      wait_seconds: 30,
    });
    expect(r.structuredContent, textOf(r)).toMatchObject({ done: true, cost_usd: 0.16, model: 'seedream-5-pro' });
    expect(r.content.some((c) => c.type === 'resource_link')).toBe(false);
    const made = r.structuredContent!.keyframes;

    const submitted = sim.submissions;
    // Two cards a row.
    const page = await openHost(560);
    await page.evaluate((res) => (globalThis as unknown as HostWindow).showResult(res), r);
    await expect.poll(() => player(page).locator('h1').textContent()).toBe('Keyframes (seedream-5-pro)');
    expect(await player(page).locator('.badge.board').textContent()).toBe('4 of 4 keyframes made');
    expect(await player(page).locator('.card > .facts').textContent()).toBe('Cost$0.16');
    // The prompts come from each job's resource: wait for the last of them.
    await expect.poll(async () => (await keyframeCards(page)).map((c) => c.prompt)).toEqual(prompts);
    expect(await keyframeCards(page)).toEqual(
      made.map((k) => ({
        id: k.keyframe_id,
        title: k.keyframe_id,
        badge: 'made',
        tone: 'badge done',
        prompt: expect.any(String),
        facts: { Size: '1360×768', Cost: '$0.04', Job: k.request_id, 'Saved to': k.file!.path },
      })),
    );
    // Each saved image, from a Blob the page made of player_file's chunks, decoded at its own size.
    await expect
      .poll(() => keyframeImages(page), { timeout: 10_000 })
      .toEqual(made.map((k) => ({ src: expect.stringMatching(/^blob:/), width: 1360, alt: `Keyframe ${k.keyframe_id}` })));
    // Final: no refresh, and every call was for a saved image, by its id.
    await page.clock.runFor(REFRESH_MS * 3);
    expect(calls.map((c) => [c.name, c.arguments?.kind, c.arguments?.keyframe_id])).toEqual(
      expect.arrayContaining(made.map((k) => ['player_file', 'image', k.keyframe_id])),
    );
    for (const c of calls) expect(c).toMatchObject({ name: 'player_file', arguments: { kind: 'image' } });
    expect(sim.submissions).toBe(submitted);
    await screenshot(page, 'player-keyframes.png');
    await fitsNarrowColumn(page);
    await page.close();
  }, 60_000);

  it('a keyframe batch followed from being made to made (and one failed): check_status, then get_result saves each image; never the batch again', async () => {
    // Which of the three fails is the order the batch submits them in: read back from the simulator below.
    sim.planNext({ queueMs: 1_000, runMs: 1_000 }, { queueMs: 1_000, runMs: 1_000 }, { queueMs: 1_000, runMs: 1_000, failWith: {} });
    const prompts = ['a lighthouse at dusk', 'a lighthouse in fog', 'a lighthouse at dawn'];
    const r = await call(server.client, 'generate_keyframes', { keyframes: prompts.map((prompt) => ({ prompt })), resolution: '1K', wait_seconds: 0 });
    expect(r.structuredContent, textOf(r)).toMatchObject({ done: false });
    const batch = r.structuredContent!.keyframes;
    const fails = batch.map((k) => sim.jobs.get(k.request_id!)!.plan.failWith !== undefined);
    expect(fails.filter(Boolean)).toHaveLength(1);

    const submitted = sim.submissions;
    const page = await openHost(800);
    await page.evaluate((res) => (globalThis as unknown as HostWindow).showResult(res), r);
    await expect.poll(() => player(page).locator('.badge.board').textContent()).toBe('0 of 3 keyframes made');
    await expect.poll(async () => (await keyframeCards(page)).map((c) => c.prompt)).toEqual(prompts);
    expect((await keyframeCards(page)).map((c) => [c.id, c.badge, c.tone])).toEqual(batch.map((k) => [k.keyframe_id, 'being made', 'badge running']));
    expect(await keyframeImages(page)).toEqual([]);

    // The jobs end on the simulator; the next refresh tick finds them.
    clock.t += 5_000;
    await page.clock.runFor(REFRESH_MS);
    await expect.poll(() => player(page).locator('.badge.board').textContent()).toBe('2 of 3 keyframes made, 1 failed');
    // Made: saved by get_result (check_status has no output of a job no call collected), shown from the saved file.
    await expect
      .poll(async () => (await keyframeCards(page)).map((c) => [c.id, c.badge, c.tone, c.facts['Saved to']]))
      .toEqual(
        batch.map((k, i) =>
          fails[i]
            ? // RunComfy's own reason: check_status reads it from a failed job's result.
              [k.keyframe_id, 'failed: The generation failed.', 'badge failed', undefined]
            : [k.keyframe_id, 'made', 'badge done', expect.stringMatching(/\.png$/)],
        ),
      );
    await expect
      .poll(() => keyframeImages(page), { timeout: 10_000 })
      .toEqual(batch.filter((_, i) => !fails[i]).map((k) => ({ src: expect.stringMatching(/^blob:/), width: 1360, alt: `Keyframe ${k.keyframe_id}` })));
    // Final: the page stops. It asked check_status once per unfinished keyframe, get_result once per one made, and
    // player_file for the saved images; it submitted nothing.
    const made = calls.length;
    await page.clock.runFor(REFRESH_MS * 3);
    expect(calls.length).toBe(made);
    expect(sim.submissions).toBe(submitted);
    expect(calls.map((c) => c.name).sort()).toEqual([...Array(3).fill('check_status'), ...Array(2).fill('get_result'), ...Array(2).fill('player_file')]);
    await page.close();
  }, 60_000);
});
