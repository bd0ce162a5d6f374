import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';
import sharp from 'sharp';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { VirtualClock } from '../src/util/clock.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { call, image, newClient, readJson, textOf, until } from './helpers.js';
import { labTest } from './lab.js';

const PREFLIGHT_UA = 'kling-o1-mcp (pre-flight image check)';

async function probe(file: string): Promise<{ durationS: number; frames: number; width: number; height: number }> {
  const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
  try {
    const track = (await input.getPrimaryVideoTrack())!;
    let frames = 0;
    for await (const _ of new EncodedPacketSink(track).packets()) frames++;
    return { durationS: await input.computeDuration(), frames, width: track.codedWidth, height: track.codedHeight };
  } finally {
    input.dispose();
  }
}

const colors = ['#d04040', '#40d040', '#4040d0', '#d0d040', '#40d0d0', '#d040d0'];
/** In memory, the simulator and the servers share a virtual clock: jobs, held requests and budgets cost no real time. */
const clock = new VirtualClock();
const it = labTest({ clock }).extend('k', { scope: 'file' }, ({ sim }) =>
  Promise.all(colors.map(async (color, i) => sim.host(`k${i}.png`, await image(640, 360, 'png', color), 'image/png'))),
);

/** Shot i goes from frame i to frame i+1. */
const chain = (n: number, frames: string[]) =>
  Array.from({ length: n }, (_, i) => ({ prompt: `@Image1 becomes @Image2 (${i + 1})`, start_image_url: frames[i]!, end_image_url: frames[i + 1]! }));
const preflightFetches = (sim: RunComfySimulator) => sim.requests.filter((r) => r.route === 'file' && r.userAgent === PREFLIGHT_UA);

describe('storyboards: many shots in one call, one film at the end', () => {
  it('3 shots from 4 keyframes: each frame fetched once, 3 submissions, one rising progress stream, the film and the sheet', async ({ sim, shared: c, k }) => {
    const before = sim.submissions;
    const fetchedBefore = preflightFetches(sim).length;
    const progress: number[] = [];
    const r = await call(c.client, 'generate_storyboard', { title: 'colour walk', shots: chain(3, k) }, (p) => progress.push(p.progress));
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(sim.submissions - before).toBe(3);
    const fetched = preflightFetches(sim)
      .slice(fetchedBefore)
      .map((f) => f.path);
    expect(fetched.sort()).toEqual(['/files/k0.png', '/files/k1.png', '/files/k2.png', '/files/k3.png']);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
    expect(progress.length).toBeGreaterThan(3);

    const s = r.structuredContent!;
    expect(s.status).toBe('completed');
    expect(s.shots.map((x) => x.status)).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(s.shots.map((x) => x.request_id)).size).toBe(3);
    expect(s.cost).toEqual({ estimate_usd: 1.68, charged_usd: 1.68 });
    expect(s.warnings).toEqual([]);

    const clips = await Promise.all(s.shots.map((x) => probe(x.files![0]!.path)));
    const film = await probe(s.film!.path);
    const sum = clips.reduce((a, b) => a + b.durationS, 0);
    expect(Math.abs(film.durationS - sum)).toBeLessThanOrEqual(0.1);
    expect(film.frames).toBe(clips.reduce((a, b) => a + b.frames, 0));
    expect(s.film).toMatchObject({ duration_s: expect.closeTo(sum, 1), frames: film.frames });
    expect(path.basename(s.film!.path)).toBe(`${s.storyboard_id}.mp4`);

    expect(existsSync(s.sheet!.path)).toBe(true);
    expect((await sharp(readFileSync(s.sheet!.path)).metadata()).format).toBe('png');
    const links = r.content.filter((b) => b.type === 'resource_link').map((b) => (b as { name: string }).name);
    expect(links).toEqual(expect.arrayContaining([`${s.storyboard_id}.mp4`, `${s.storyboard_id}.png`]));
    expect(links.length).toBe(5);

    const res = JSON.parse(((await c.client.readResource({ uri: `kling://storyboards/${s.storyboard_id}` })).contents[0] as { text: string }).text);
    expect(res.plan).toHaveLength(3);
    expect(res.film!.sha256).toBe(s.film!.sha256);
    const jobs = await call(c.client, 'list_jobs', {});
    expect(jobs.structuredContent!.jobs.filter((j: { storyboard_id?: string }) => j.storyboard_id === s.storyboard_id)).toHaveLength(3);
  });

  it('a bad frame in shot 3 means nothing is submitted, and says which shot and field', async ({ sim, shared: c, k }) => {
    const wide = sim.host('wide.png', await image(1000, 300), 'image/png');
    const shots = chain(4, k);
    shots[2]!.end_image_url = wide;
    const before = sim.submissions;
    const r = await call(c.client, 'generate_storyboard', { shots });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/shot 3 end_image_url: The aspect ratio range should be between 0\.40 and 2\.50\. \(got 3\.33\)/);
    expect(sim.submissions).toBe(before);
  });

  it.for([
    ['no shots', () => ({ shots: [] }), /at least one shot/],
    ['25 shots', (k) => ({ shots: Array.from({ length: 25 }, () => chain(1, k)[0]) }), /at most 24 shots/],
    ['a shot of 7 s', (k) => ({ shots: [{ ...chain(1, k)[0], duration: 7 }] }), /shot 1: duration 7 is not a length Kling O1 makes: it makes 5 or 10 seconds/],
    ['a shot without its end frame', (k) => ({ shots: [{ prompt: 'p', start_image_url: k[0] }] }), /end_image_url is required/],
    ['an empty prompt', (k) => ({ shots: [{ ...chain(1, k)[0], prompt: '  ' }] }), /prompt is empty/],
    ['a title of 300 characters', (k) => ({ shots: chain(1, k), title: 'x'.repeat(300) }), /title can be at most 200 characters/],
    ['an ftp:// frame', (k) => ({ shots: [{ ...chain(1, k)[0], end_image_url: 'ftp://example.com/a.png' }] }), /shot 1 end_image_url: .*https:\/\//],
  ] as [string, (k: string[]) => Record<string, unknown>, RegExp][])(
    'refuses %s with a clear message, submitting nothing',
    async ([, args, message], { sim, shared: c, k }) => {
      const before = sim.submissions;
      const r = await call(c.client, 'generate_storyboard', args(k));
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(message);
      expect(sim.submissions).toBe(before);
    },
  );

  it('the spend limit refuses the whole board: not one shot is submitted', async ({ sim, k, connect }) => {
    const capped = await connect({ env: { KLING_MCP_SPEND_LIMIT_USD: '1.00' } });
    const before = sim.submissions;
    const r = await call(capped.client, 'generate_storyboard', { shots: chain(3, k) });
    expect(r).toBeToolError('spend_limit');
    expect(textOf(r)).toMatch(/3-shot storyboard.*about \$1\.68/s);
    expect(sim.submissions).toBe(before);
  });

  it('a failed shot: resubmit_failed makes exactly one new submission and the film follows', async ({ sim, shared: c, k }) => {
    sim.planNext({}, { failWith: { error: 'content filter' } }, {});
    const first = await call(c.client, 'generate_storyboard', { shots: chain(3, k) });
    expect(first.isError).toBeFalsy();
    const s = first.structuredContent!;
    expect(s.status).toBe('needs_attention');
    expect(s.shots[1]).toMatchObject({ status: 'failed', error: expect.stringContaining('content filter') });
    expect(s.film).toBeNull();
    expect(textOf(first)).toMatch(/resubmit_failed/);

    const before = sim.submissions;
    const again = await call(c.client, 'get_storyboard', { storyboard_id: s.storyboard_id, resubmit_failed: true, wait_seconds: 30 });
    expect(sim.submissions - before).toBe(1);
    expect(again.structuredContent!.status).toBe('completed');
    expect(again.structuredContent!.shots[1]!.earlier_request_ids).toEqual([s.shots[1]!.request_id]);
    expect(again.structuredContent!.film).not.toBeNull();

    const quiet = await call(c.client, 'get_storyboard', { storyboard_id: s.storyboard_id, resubmit_failed: true });
    expect(sim.submissions - before).toBe(1);
    expect(quiet.structuredContent!.film!.sha256).toBe(again.structuredContent!.film!.sha256);
  });

  it('resubmitting is priced and confirmed like new work, and a declined resubmission sends nothing', async ({ sim, k, connect }) => {
    sim.planNext({ failWith: { error: 'flaky' } }, {});
    const client = newClient({ elicitation: {} });
    const asked: string[] = [];
    let answer: 'accept' | 'decline' = 'decline';
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
    const asking = await connect({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.10' }, client });
    answer = 'accept';
    const first = await call(asking.client, 'generate_storyboard', { shots: chain(2, k) });
    expect(first.structuredContent?.status, textOf(first)).toBe('needs_attention');
    answer = 'decline';
    const before = sim.submissions;
    const declined = await call(asking.client, 'get_storyboard', { storyboard_id: first.structuredContent!.storyboard_id, resubmit_failed: true });
    expect(declined).toBeToolError('declined');
    expect(asked.at(-1)).toMatch(/1 shot\(s\) of storyboard .* again \(shot 1\).*about \$0\.56/);
    expect(sim.submissions).toBe(before);
  });

  it('a frame file that changed since the board was planned is refused on resume, naming the shot', async ({ sim, dir, connect, onTestFinished }) => {
    onTestFinished(() => sim.clearFaults());
    const files = path.join(dir, 'frames');
    mkdirSync(files);
    const local = await connect({ env: { KLING_MCP_IMAGE_DIRS: files, KLING_MCP_LOCAL_IMAGES: '1' } });
    const frames = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const file = path.join(files, `f${i}.png`);
        writeFileSync(file, await image(640, 360, 'png', colors[i]));
        return file;
      }),
    );
    // Submissions held on the shared clock: the first takes much of the call's time, the second is left for later.
    sim.inject({ route: 'submit', holdMs: 1500, times: 2 });
    const quick = await connect({ env: { KLING_MCP_IMAGE_DIRS: files, KLING_MCP_MAX_WAIT_S: '6' } });
    const r = await call(quick.client, 'generate_storyboard', {
      shots: [
        { prompt: 'a', start_image_url: frames[0], end_image_url: frames[1] },
        { prompt: 'b', start_image_url: frames[1], end_image_url: frames[2] },
      ],
      wait_seconds: 0,
    });
    await quick.close();
    sim.clearFaults();
    expect(r.structuredContent!.shots[1]!.status).toBe('not_submitted');
    writeFileSync(frames[2]!, await image(640, 360, 'png', '#000000'));
    const before = sim.submissions;
    const resumed = await call(local.client, 'get_storyboard', { storyboard_id: r.structuredContent!.storyboard_id });
    expect(resumed).toBeToolError('invalid_input');
    expect(textOf(resumed)).toMatch(/shot 2 end_image_url/);
    expect(sim.submissions).toBe(before);
  });

  it('clips of different sizes: a cut and shape warning up front, then a clear refusal to stitch with the clips kept', async ({
    sim,
    shared: c,
    sharedDir,
    k,
  }) => {
    const tall = sim.host('tall.png', await image(640, 480, 'png', '#808080'), 'image/png');
    const r = await call(c.client, 'generate_storyboard', {
      shots: [
        { prompt: 'a', start_image_url: k[0], end_image_url: k[1] },
        { prompt: 'b', start_image_url: tall, end_image_url: tall },
      ],
    });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent!;
    expect(s.warnings.join('\n')).toMatch(/Cut between shot 1 and shot 2/);
    expect(s.warnings.join('\n')).toMatch(/shot 2 start \(640×480\)/);
    expect(s.status).toBe('completed');
    expect(s.film).toBeNull();
    expect(s.film_error).toMatch(/shot 2/);
    for (const shot of s.shots) expect(existsSync(shot.files![0]!.path)).toBe(true);
    expect(existsSync(path.join(sharedDir, 'out', `${s.storyboard_id}.mp4`))).toBe(false);
  });

  it('a slow RunComfy does not hold the call past its budget: shots left over are submitted by get_storyboard', async ({ sim, k, connect, onTestFinished }) => {
    onTestFinished(() => sim.clearFaults());
    // Submissions held on the clock the server shares: each takes 1.5 s of the call's 6 s, and no real time.
    const quick = await connect({ env: { KLING_MCP_MAX_WAIT_S: '6' } });
    sim.inject({ route: 'submit', holdMs: 1500, times: 3 });
    const before = sim.submissions;
    const t0 = clock.now();
    const r = await call(quick.client, 'generate_storyboard', { shots: chain(3, k), wait_seconds: 0 });
    expect(clock.now() - t0).toBeLessThan(6000);
    expect(sim.submissions - before).toBe(1);
    const s = r.structuredContent!;
    expect(s.shots.map((x) => x.status)).toEqual([expect.any(String), 'not_submitted', 'not_submitted']);
    expect(s.next_step).toMatch(/get_storyboard/);
    const rest = await call(quick.client, 'get_storyboard', { storyboard_id: s.storyboard_id, wait_seconds: 30 });
    expect(sim.submissions - before).toBe(3);
    expect(rest.structuredContent!.status).toBe('completed');
  });

  it('frames on hosts too slow for the call are refused in time, and nothing is submitted', async ({ sim, k, connect, onTestFinished }) => {
    onTestFinished(() => sim.clearFaults());
    const quick = await connect({ env: { KLING_MCP_MAX_WAIT_S: '6' } });
    const slow = sim.host('slow.png', await image(640, 360, 'png', '#123456'), 'image/png');
    // The frame host answers after 4 s of the shared clock, the call may check frames for 1 s: only its budget can end it so.
    sim.inject({ route: 'file', holdMs: 4000, times: 2 });
    const before = sim.submissions;
    const r = await call(quick.client, 'generate_storyboard', { shots: [{ prompt: 'slow', start_image_url: slow, end_image_url: k[1] }] });
    expect(r).toBeToolError('image_unreachable');
    expect(textOf(r)).toMatch(/took longer than this call may run \(1 s\)/);
    expect(sim.submissions).toBe(before);
  });

  it('cancel with a storyboard_id cancels every queued shot and stops the board', async ({ sim, shared: c, k }) => {
    sim.planNext({ queueMs: 60_000 }, { queueMs: 60_000 }, { queueMs: 60_000 });
    const r = await call(c.client, 'generate_storyboard', { shots: chain(3, k), wait_seconds: 0 });
    const id = r.structuredContent!.storyboard_id;
    expect(r.structuredContent!.status).toBe('running');
    const x = await call(c.client, 'cancel', { storyboard_id: id });
    expect(x.isError, textOf(x)).toBeFalsy();
    expect(x.structuredContent!.cancelled).toBe(true);
    expect(x.structuredContent!.storyboard!.shots.map((s) => s.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    const after = await call(c.client, 'get_storyboard', { storyboard_id: id, resubmit_failed: true });
    expect(after.structuredContent!.status).toBe('cancelled');
  });

  it('an unknown storyboard_id is a clear error', async ({ shared: c }) => {
    const r = await call(c.client, 'get_storyboard', { storyboard_id: 'sb-doesnotexist' });
    expect(r).toBeToolError('storyboard_not_found');
  });
});

/**
 * Server processes over stdio run on real time, so their simulator does too; its jobs are short, since what this
 * proves is decided in the ledger, not by how long a render takes.
 */
const FAST = { queueMs: 50, runMs: 150 };
const processes = labTest({ sim: { timing: { 5: FAST, 10: FAST } }, env: { KLING_MCP_EXPECTED_RUN_S: '5:0.15,10:0.15' } });

describe('a storyboard survives its server being killed mid-submission', () => {
  processes(
    'SIGKILL while shot 3 is on the wire (2 of 5 submitted): after a restart shot 3 is of unknown outcome; get_storyboard resends it and submits the rest, no shot twice',
    async ({ sim, spawn }) => {
      const frames = await Promise.all(
        Array.from({ length: 6 }, async (_, i) =>
          sim.host(`f${i}.png`, await image(640, 360, 'png', `#${(i * 40).toString(16).padStart(2, '0')}8040`), 'image/png'),
        ),
      );
      const shots = Array.from({ length: 5 }, (_, i) => ({ prompt: `shot ${i + 1}`, start_image_url: frames[i], end_image_url: frames[i + 1] }));
      // Shots 1 and 2 are accepted; shot 3's request hangs before RunComfy processes it (and is then dropped), so the
      // server dies with shot 3 reserved and sent but never created.
      sim.inject({ route: 'submit', afterProcessing: true, delayMs: 300, times: 2 });
      sim.inject({ route: 'submit', delayMs: 3_000, reset: 'before-headers' });
      const first = await spawn();
      const pending = call(first.client, 'generate_storyboard', { shots, wait_seconds: 60 }).catch(() => undefined);
      await until(() => sim.requests.filter((r) => r.route === 'submit').length === 3);
      process.kill(first.transport.pid!, 'SIGKILL');
      await pending;
      sim.clearFaults();
      expect(sim.submissions).toBe(2);

      const second = await spawn();
      const boardId = (await readJson<{ storyboard_id: string }[]>(second.client, 'kling://storyboards'))[0]!.storyboard_id;
      const lost = await call(second.client, 'get_storyboard', { storyboard_id: boardId, wait_seconds: 0 });
      expect(lost.structuredContent!.shots[2]).toMatchObject({ status: 'outcome_unknown' });
      const r = await call(second.client, 'get_storyboard', { storyboard_id: boardId, resubmit_unknown: true, wait_seconds: 40 });
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(sim.submissions).toBe(5);
      const s = r.structuredContent!;
      expect(s.status).toBe('completed');
      expect(new Set(s.shots.map((x) => x.request_id)).size).toBe(5);
      expect(s.shots.every((x: { earlier_request_ids?: string[] }) => !x.earlier_request_ids)).toBe(true);
      expect(s.film).not.toBeNull();
    },
  );
});
