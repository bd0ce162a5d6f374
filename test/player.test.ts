/**
 * The player's server side: which tools declare it, the resource and its CSP,
 * the app-only player_file tool's confinement and chunking, and that clients
 * without the MCP Apps extension get exactly the answers they got before. The
 * page's pure part (src/player/model.ts) is tested here too; the page itself runs
 * in player-browser.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync, truncateSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { PLAYER_URI } from '../src/resources/player.js';
import { CHUNK_BYTES } from '../src/tools/player-file.js';
import {
  batchStateText,
  filmSoundText,
  hasUnsubmitted,
  isFinal,
  keyframeState,
  parseAnswer,
  refreshKeyframe,
  stateText,
  type BoardData,
  type KeyframeBatchData,
} from '../src/player/model.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, connectInMemory, image, simEnv, textOf, uiClient, type Connected } from './helpers.js';
import { labTest } from './lab.js';

const OPENS_PLAYER = ['generate_video', 'get_result', 'generate_storyboard', 'get_storyboard', 'revise_storyboard', 'generate_keyframes'];
const MiB = 1024 * 1024;

/** Two servers on one state folder, one whose client renders MCP Apps and one whose client does not, on a virtual clock. */
const it = labTest({ clock: new VirtualClock() })
  .extend('ui', { scope: 'file' }, async ({ lab, sim, sharedDir }, { onCleanup }) => {
    const c = await connectInMemory(simEnv(sim, sharedDir), lab.clock, uiClient());
    onCleanup(c.close);
    return c;
  })
  .extend('plain', { scope: 'file' }, ({ shared }) => shared)
  .extend(
    'clip',
    ({ frames }) =>
      (client: Connected, extra: Record<string, unknown> = {}) =>
        call(client.client, 'generate_video', { prompt: 'red to green', start_image_url: frames.start, end_image_url: frames.end, ...extra }),
  );

describe('the player, server side', () => {
  it('the video and storyboard tools declare the player (both keys ext-apps writes); player_file is app-only', async ({ ui }) => {
    const { tools } = await ui.client.listTools();
    const meta = Object.fromEntries(tools.map((t) => [t.name, t._meta]));
    for (const name of OPENS_PLAYER) {
      expect(meta[name], name).toEqual({ ui: { resourceUri: PLAYER_URI }, 'ui/resourceUri': PLAYER_URI });
    }
    expect(meta.player_file).toEqual({ ui: { resourceUri: PLAYER_URI, visibility: ['app'] }, 'ui/resourceUri': PLAYER_URI });
    for (const name of ['check_status', 'cancel', 'list_jobs']) expect(meta[name], name).toBeUndefined();
  });

  it('a client without the extension is never offered player_file, and cannot call it', async ({ plain }) => {
    const { tools } = await plain.client.listTools();
    expect(tools.map((t) => t.name)).not.toContain('player_file');
    const r = await call(plain.client, 'player_file', { kind: 'clip', request_id: 'abc' });
    expect(r.isError).toBe(true);
  });

  it('the resource: MCP Apps MIME type, media allowed from RunComfy storage and the API host, one self-contained page', async ({ sim, ui }) => {
    const { resources } = await ui.client.listResources();
    expect(resources.find((r) => r.uri === PLAYER_URI)?.mimeType).toBe(RESOURCE_MIME_TYPE);
    const content = (await ui.client.readResource({ uri: PLAYER_URI })).contents[0]!;
    expect(content.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(content._meta).toEqual({
      ui: { csp: { resourceDomains: ['https://playgrounds-storage-public.runcomfy.net', new URL(sim.url).origin] }, prefersBorder: true },
    });
    const html = 'text' in content ? content.text : '';
    expect(html).toMatch(/^<!doctype html>/);
    // Nothing loaded from elsewhere: no script or stylesheet by URL, no CDN.
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*\shref=|@import\s/i);
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|esm\.sh|jsdelivr)/i);
    expect(html.length).toBeLessThan(400_000);
    expect(html).toContain('@media (prefers-reduced-motion: reduce)');
  });

  it('clients without the extension get exactly the answers they got before; beside the player only the resource_links go', async ({ ui, plain, clip }) => {
    const done = await clip(plain);
    expect(done.structuredContent?.status, textOf(done)).toBe('completed');
    const id = done.structuredContent!.request_id;
    expect(done.content.filter((c) => c.type === 'resource_link').length).toBeGreaterThan(0);
    const before = await call(plain.client, 'get_result', { request_id: id });
    const beside = await call(ui.client, 'get_result', { request_id: id });
    expect(before.content.map((c) => c.type)).toEqual(['text', ...before.content.slice(1).map(() => 'resource_link')]);
    expect(beside.structuredContent).toEqual(before.structuredContent);
    expect(beside.content).toEqual(before.content.filter((c) => c.type !== 'resource_link'));
    expect(beside._meta).toEqual(before._meta);
    // The tools that do not open the player answer the same to both.
    const status = await call(ui.client, 'check_status', { request_id: id });
    expect(status).toEqual(await call(plain.client, 'check_status', { request_id: id }));
  });

  it('player_file: a 20 MB clip comes in chunks of at most 2 MiB of base64 that join into the saved file', async ({ sim, ui, clip }) => {
    sim.planNext({ queueMs: 0, runMs: 0, outputBytes: 20_000_000 });
    const done = await clip(ui);
    const file = done.structuredContent!.files![0]!;
    expect(file.bytes).toBe(20_000_000);
    const parts: Buffer[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const r = await call(ui.client, 'player_file', { kind: 'clip', request_id: done.structuredContent!.request_id, offset });
      expect(r.isError, textOf(r)).toBeFalsy();
      const s = r.structuredContent as { data: string; next_offset?: number; total_bytes: number; mime: string; offset: number };
      expect(s.data.length).toBeLessThanOrEqual(2 * MiB);
      expect(s.offset).toBe(offset);
      expect(s.total_bytes).toBe(20_000_000);
      expect(s.mime).toBe(file.mime);
      parts.push(Buffer.from(s.data, 'base64'));
      offset = s.next_offset;
    }
    expect(parts.length).toBe(Math.ceil(20_000_000 / CHUNK_BYTES));
    expect(createHash('sha256').update(Buffer.concat(parts)).digest('hex')).toBe(file.sha256);
  });

  it('player_file serves only recorded outputs: unknown ids, traversal, files never saved or changed since, a path argument', async ({ ui, clip }) => {
    const refuse = async (args: Record<string, unknown>, expected: RegExp) => {
      const r = await call(ui.client, 'player_file', args);
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(r)).toMatch(expected);
    };
    await refuse({ kind: 'clip', request_id: 'no-such-job' }, /No job no-such-job is recorded/);
    await refuse({ kind: 'clip', request_id: '../../etc/passwd' }, /request_id must be/);
    await refuse({ kind: 'film', storyboard_id: 'sb-../../../etc' }, /storyboard_id must be/);
    await refuse({ kind: 'film', storyboard_id: 'sb-abcdef123456' }, /No storyboard sb-abcdef123456/);
    await refuse({ kind: 'film' }, /needs storyboard_id/);
    await refuse({ kind: 'passwd', request_id: 'x' }, /kind must be one of clip, film, sheet, keyframe, image/);
    await refuse({ kind: 'image', keyframe_id: '../../etc/passwd' }, /keyframe_id must be a kf-… id/);
    await refuse({ kind: 'image', keyframe_id: 'kf-0123456789ab' }, /no keyframe kf-0123456789ab is recorded/);
    await refuse({ kind: 'image' }, /needs keyframe_id/);
    // A generated keyframe's saved image, by its id through the ledger.
    const made = await call(ui.client, 'generate_keyframes', { keyframes: [{ prompt: 'a red boat' }], resolution: '1K', wait_seconds: 120 });
    const kf = made.structuredContent!.keyframes[0]!;
    expect(kf.file, textOf(made)).toBeDefined();
    const image = await call(ui.client, 'player_file', { kind: 'image', keyframe_id: kf.keyframe_id });
    expect(Buffer.from((image.structuredContent as { data: string }).data, 'base64')).toEqual(readFileSync(kf.file!.path));

    const unsaved = await clip(ui, { download: false });
    expect(unsaved.structuredContent?.status).toBe('completed');
    await refuse({ kind: 'clip', request_id: unsaved.structuredContent!.request_id }, /has no saved clip/);

    const saved = await clip(ui);
    const id = saved.structuredContent!.request_id;
    const file = saved.structuredContent!.files![0]!;
    // A path from the caller is not an argument: it is refused by name, and what is served is the recorded clip.
    await refuse({ kind: 'clip', request_id: id, path: '/etc/passwd' }, /unknown argument `path`/);
    const r = await call(ui.client, 'player_file', { kind: 'clip', request_id: id });
    expect(Buffer.from((r.structuredContent as { data: string }).data, 'base64')).toEqual(readFileSync(file.path));
    await refuse({ kind: 'clip', request_id: id, offset: file.bytes + 1 }, /past the end/);
    truncateSync(file.path, 10);
    await refuse({ kind: 'clip', request_id: id }, /gone or was changed since it was saved/);
  });

  it("player_file keyframes: thumbnails of a few KB cut from the board's contact sheet, labelled as on the sheet", async ({ sim, ui }) => {
    const colours = ['#d04040', '#d0a040', '#40a0d0', '#8040d0'];
    const k = await Promise.all(colours.map(async (c, i) => sim.host(`kf-${i}.png`, await image(640, 360, 'png', c), 'image/png')));
    const shots = [0, 1, 2].map((i) => ({ prompt: `shot ${i + 1}`, start_image_url: k[i]!, end_image_url: k[i + 1]! }));
    const board = await call(ui.client, 'generate_storyboard', { shots, wait_seconds: 0 });
    const id = board.structuredContent!.storyboard_id;
    const labels: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call(ui.client, 'player_file', { kind: 'keyframe', storyboard_id: id, index: i });
      const s = r.structuredContent as { data: string; mime: string; label: string; keyframes: number };
      expect(s.mime).toBe('image/webp');
      expect(s.keyframes).toBe(4);
      const bytes = Buffer.from(s.data, 'base64');
      expect(bytes.length).toBeLessThan(8_000);
      labels.push(s.label);
    }
    expect(labels).toEqual(['1', '1-2', '2-3', '3']);
    const r = await call(ui.client, 'player_file', { kind: 'keyframe', storyboard_id: id, index: 4 });
    expect(r).toBeToolError('not_found');
    expect((await call(ui.client, 'player_file', { kind: 'film', storyboard_id: id })).isError).toBe(true);
  });
});

describe("the page's reading of answers (src/player/model.ts)", () => {
  it('says every state in words: queued with position, running with elapsed time, failed with the reason', () => {
    expect(stateText({ status: 'in_queue', queue_position: 3 }).text).toBe('Queued, position 3');
    expect(stateText({ status: 'queued' }).text).toBe('Queued');
    expect(stateText({ status: 'in_progress', elapsed_s: 42 }).text).toBe('Running, 42 s so far');
    expect(stateText({ status: 'succeeded', elapsed_s: 80 })).toEqual({ text: 'Done in 80 s', tone: 'done' });
    expect(stateText({ status: 'failed', error: 'content policy' })).toEqual({ text: 'Failed: content policy', tone: 'failed' });
    expect(stateText({ status: 'timed_out' }).text).toBe('Failed: RunComfy reported "timed_out"');
    expect(stateText({ status: 'cancelled' }).tone).toBe('attention');
    expect(stateText({ status: 'not_submitted' }).text).toBe('Not submitted yet');
    expect(stateText({ status: 'outcome_unknown' }).text).toMatch(/dashboard/);
  });

  it("says what a film's sound is: the clips' own (with its silent shots), the soundtrack, or none and why", () => {
    expect(filmSoundText({ from: 'clips', codec: 'aac', duration_s: 15.004, silent_shots: [2] })).toBe("the clips' own (aac, 15.0 s; silent: shot 2)");
    expect(filmSoundText({ from: 'soundtrack', codec: 'mp3', duration_s: 90 })).toBe('the soundtrack (mp3, 90.0 s)');
    expect(filmSoundText({ from: 'none', why: 'no clip has sound' })).toBe('none (no clip has sound)');
    expect(filmSoundText(undefined)).toBeUndefined();
    const board = parseAnswer({
      storyboard_id: 'sb-1',
      status: 'completed',
      shots: [{ index: 1, status: 'completed', done: true, prompt: 'p', sound: true, model: 'kling/kling-3.0/pro/image-to-video' }],
      film: { url: 'u', path: '/f.mp4', bytes: 1, sha256: 'x', mime: 'video/mp4', audio: { from: 'clips', codec: 'aac', duration_s: 5 } },
    }) as BoardData;
    expect(board.film?.sound).toBe("the clips' own (aac, 5.0 s)");
    expect(board.shots[0]).toMatchObject({ sound: true, model: 'kling/kling-3.0/pro/image-to-video' });
  });

  it('reads answers defensively, and knows when to stop refreshing and when a refresh must not submit', () => {
    expect(parseAnswer(null)).toBeUndefined();
    expect(parseAnswer({ jobs: [] })).toBeUndefined();
    const clip = parseAnswer({ request_id: 'r1', status: 'completed', done: true, output: { video: 'javascript:alert(1)' }, files: 'nope' });
    expect(clip).toMatchObject({ kind: 'clip', video_url: undefined, file: undefined });
    expect(isFinal(clip!)).toBe(false);
    expect(isFinal({ ...(clip as object), download_error: 'disk full' } as never)).toBe(true);
    const board = parseAnswer({
      storyboard_id: 'sb-1',
      status: 'planned',
      shots: [
        { index: 1, status: 'completed', done: true, prompt: 'a', take: 2, keyframe_ids: { start: 'kf-aaaaaaaaaaaa', end: 7 } },
        { status: 'not_submitted' },
        'junk',
      ],
      film: null,
      warnings: ['a cut', 7],
      cut: { shots: [1] },
    }) as BoardData;
    expect(board.shots.map((s) => [s.index, s.status, s.take])).toEqual([
      [1, 'completed', 2],
      [2, 'not_submitted', undefined],
    ]);
    expect(board.shots.map((s) => s.keyframe_ids)).toEqual([{ start: 'kf-aaaaaaaaaaaa', end: undefined }, undefined]);
    expect(board.warnings).toEqual(['a cut']);
    expect(hasUnsubmitted(board)).toBe(true);
    expect(isFinal(board)).toBe(false);
    expect(isFinal({ ...board, status: 'completed', film: { path: '/f.mp4' } })).toBe(true);
    expect(isFinal({ ...board, status: 'needs_attention' })).toBe(true);
  });

  it("reads a keyframe batch: each keyframe's id, size, cost and state; refreshes only by check_status and stops once none can change", () => {
    const batch = parseAnswer({
      model: 'seedream',
      cost_usd: 0.08,
      done: false,
      keyframes: [
        {
          keyframe_id: 'kf-aaaaaaaaaaaa',
          status: 'made',
          request_id: 'r1',
          url: 'https://out.example/1.png',
          width: 2048,
          height: 1152,
          cost_usd: 0.08,
          file: { path: '/o/1.png', bytes: 9, mime: 'image/png' },
        },
        { keyframe_id: 'kf-bbbbbbbbbbbb', status: 'reused', request_id: 'r0', url: 'javascript:alert(1)', cost_usd: 0 },
        { keyframe_id: 'kf-cccccccccccc', status: 'in_progress', request_id: 'r2' },
        { keyframe_id: 'kf-dddddddddddd', status: 'failed', request_id: 'r3', error: 'content policy' },
        { keyframe_id: 'kf-eeeeeeeeeeee', status: 'being submitted by another call' },
        { status: 'made' },
        'junk',
      ],
    }) as KeyframeBatchData;
    expect(batch).toMatchObject({ kind: 'keyframes', model: 'seedream', cost_usd: 0.08, done: false });
    expect(batch.keyframes.map((k) => [k.keyframe_id, keyframeState(k)])).toEqual([
      ['kf-aaaaaaaaaaaa', 'made'],
      ['kf-bbbbbbbbbbbb', 'made'],
      ['kf-cccccccccccc', 'being made'],
      ['kf-dddddddddddd', 'failed'],
      ['kf-eeeeeeeeeeee', 'being made'],
    ]);
    expect(batch.keyframes[0]).toMatchObject({ width: 2048, height: 1152, url: 'https://out.example/1.png', file: { path: '/o/1.png' } });
    expect(batch.keyframes[1]!.url).toBeUndefined();
    expect(batchStateText(batch)).toBe('2 of 5 keyframes made, 1 failed');
    expect(isFinal(batch)).toBe(false);

    const running = batch.keyframes[2]!;
    expect(refreshKeyframe(running, undefined)).toBe(running);
    expect(refreshKeyframe(running, { request_id: 'r2', status: 'in_queue', queue_position: 2 })).toMatchObject({ status: 'in_queue' });
    expect(keyframeState(refreshKeyframe(running, { request_id: 'r2', status: 'failed', error: 'nsfw' }))).toBe('failed');
    const made = refreshKeyframe(running, { request_id: 'r2', status: 'completed', output: { images: ['https://out.example/2.png'] } });
    expect(made).toMatchObject({ status: 'made', url: 'https://out.example/2.png' });
    // The one another call is submitting has no job to check: only that call's answer says how it ends.
    expect(isFinal({ ...batch, keyframes: batch.keyframes.map((k) => (k === running ? made : k)) })).toBe(true);
  });
});
