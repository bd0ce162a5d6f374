/** Revising a storyboard through a real client against the simulator: takes reused or rendered, cuts, a film per cut. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect } from 'vitest';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, image, newClient, readJson, textOf, until, type ToolOutput } from './helpers.js';
import { labTest } from './lab.js';

type Board = ToolOutput<'get_storyboard'>;
type Shot = { prompt: string; start_image_url: string; end_image_url: string; duration?: number; take?: number | 'new' };

const PREFLIGHT_UA = 'kling-o1-mcp (pre-flight image check)';
const colors = ['#d04040', '#40d040', '#4040d0', '#d0d040', '#40d0d0', '#d040d0'];

async function hostFrames(sim: RunComfySimulator, prefix: string): Promise<string[]> {
  return Promise.all(colors.map(async (color, i) => sim.host(`${prefix}${i}.png`, await image(640, 360, 'png', color), 'image/png')));
}

/** Shot i goes from frame i-1 to frame i, with a prompt of its own. */
const chain = (frames: string[], n: number): Shot[] =>
  Array.from({ length: n }, (_, i) => ({ prompt: `shot ${i + 1}`, start_image_url: frames[i]!, end_image_url: frames[i + 1]! }));

const sources = (b: Board) => b.shots.map((s) => s.source);
const takesOf = (b: Board) => b.shots.map((s) => s.take);

/** In memory, the simulator and the servers share a virtual clock: a queued render waits in no real time. */
const it = labTest({ clock: new VirtualClock() })
  /**
   * A 4-shot board made by the shared server (cut 1), which the revisions build on, each test from what the one before
   * left: `shots` is the board's shot list as last revised.
   */
  .extend('board', { scope: 'file' }, async ({ sim, shared }) => {
    const k = await hostFrames(sim, 'k');
    const r = await call(shared.client, 'generate_storyboard', { title: 'walk', shots: chain(k, 4) });
    expect(r.isError, textOf(r)).toBeFalsy();
    const cut1 = r.structuredContent!;
    return { k, cut1, id: cut1.storyboard_id, shots: chain(k, 4) };
  })
  .extend(
    'revise',
    ({ shared, board }) =>
      (args: Record<string, unknown>, client = shared.client) =>
        call(client, 'revise_storyboard', { storyboard_id: board.id, ...args }),
  );

const preflightFetches = (sim: RunComfySimulator) => sim.requests.filter((r) => r.route === 'file' && r.userAgent === PREFLIGHT_UA).map((r) => r.path);

describe('revise_storyboard: a 4-shot board, then revisions', () => {
  it('the plan is cut 1: every shot rendered, takes 1–4', ({ board: { cut1 } }) => {
    expect(cut1).toMatchObject({ status: 'completed', cut: 1, cuts: 1 });
    expect(takesOf(cut1)).toEqual([1, 2, 3, 4]);
    expect(sources(cut1)).toEqual(['rendered', 'rendered', 'rendered', 'rendered']);
    expect(cut1.shots[1]!.takes.map((t) => t.take)).toEqual([2]);
    expect(cut1.costs).toEqual({
      this_call: { estimate_usd: 2.24, renders: 4 },
      cut: { estimate_usd: 2.24, charged_usd: 2.24 },
      board: { charged_usd: 2.24, takes: 4, cuts: 1 },
    });
  });

  it('(a) a changed keyframe 2: exactly shots 2 and 3 rendered, shots 1 and 4 reused; only the new frame is fetched; a film of its own', async ({
    sim,
    board,
    revise,
  }) => {
    const { cut1, id } = board;
    const k2 = sim.host('k2-new.png', await image(640, 360, 'png', '#202020'), 'image/png');
    // The same bytes as keyframe 0 under another URL: compared by content, it still matches.
    const k0copy = sim.host('k0-elsewhere.png', await image(640, 360, 'png', colors[0]), 'image/png');
    const next = board.shots.map((s) => ({ ...s }));
    next[0]!.start_image_url = k0copy;
    next[1]!.end_image_url = k2;
    next[2]!.start_image_url = k2;
    const before = sim.submissions;
    const fetched = preflightFetches(sim).length;
    const r = await revise({ shots: next });
    expect(r.isError, textOf(r)).toBeFalsy();
    const b = r.structuredContent!;
    expect(sim.submissions - before).toBe(2);
    expect(preflightFetches(sim).slice(fetched).sort()).toEqual(['/files/k0-elsewhere.png', '/files/k2-new.png']);
    expect(b).toMatchObject({ status: 'completed', cut: 2, cuts: 2 });
    expect(sources(b)).toEqual(['reused', 'rendered', 'rendered', 'reused']);
    expect(takesOf(b)).toEqual([1, 5, 6, 4]);
    expect(b.shots.map((s) => s.reason)).toEqual([
      'same prompt, duration and frames as take 1',
      'frame changed: end_image_url',
      'frame changed: start_image_url',
      'same prompt, duration and frames as take 4',
    ]);
    expect(textOf(r)).toMatch(/shot 2 \(5 s\): completed .* take 5 \(rendered: frame changed: end_image_url\)/);
    // Three scopes, each named: the two renders of this call, the cut's four takes, every take of both cuts.
    expect(b.costs).toEqual({
      this_call: { estimate_usd: 1.12, renders: 2 },
      cut: { estimate_usd: 2.24, charged_usd: 2.24 },
      board: { charged_usd: 3.36, takes: 6, cuts: 2 },
    });
    expect(textOf(r)).toContain(
      'Cost of this call: about $1.12 expected (2 new renders).\nCost of this cut: about $2.24 expected; $2.24 charged so far.\n' +
        'Cost of the whole board: $3.36 charged so far (6 takes, 2 cuts).',
    );
    expect(path.basename(b.film!.path)).toBe(`${id}-cut2.mp4`);
    expect(path.basename(b.sheet!.path)).toBe(`${id}-cut2.png`);
    expect(existsSync(cut1.film!.path)).toBe(true);
    expect(readFileSync(cut1.film!.path).length).toBe(cut1.film!.bytes);
    board.shots = next;
  });

  it('(b) reorder and drop: nothing submitted, no network at all, a new film', async ({ sim, board: { id, shots }, revise }) => {
    const requests = sim.requests.length;
    const r = await revise({ shots: [shots[3], shots[0], shots[1]] });
    expect(r.isError, textOf(r)).toBeFalsy();
    const b = r.structuredContent!;
    expect(sim.requests.length).toBe(requests);
    expect(b).toMatchObject({ status: 'completed', cut: 3 });
    expect(takesOf(b)).toEqual([4, 1, 5]);
    expect(sources(b)).toEqual(['reused', 'reused', 'reused']);
    // Rendering nothing costs $0.00, said as such (never "price unknown"); the cut's takes keep their estimates.
    expect(b.costs).toEqual({
      this_call: { estimate_usd: 0, renders: 0 },
      cut: { estimate_usd: 1.68, charged_usd: 1.68 },
      board: { charged_usd: 3.36, takes: 6, cuts: 3 },
    });
    expect(textOf(r)).toContain('Cost of this call: $0.00 (nothing rendered).');
    expect(textOf(r)).not.toContain('unknown');
    expect(path.basename(b.film!.path)).toBe(`${id}-cut3.mp4`);
    expect(b.film!.clips).toEqual([b.shots[0]!.files![0]!.sha256, b.shots[1]!.files![0]!.sha256, b.shots[2]!.files![0]!.sha256]);
  });

  it('(c) a re-roll of shot 1 renders one take; picking take 1 back submits nothing', async ({ sim, board: { shots }, revise }) => {
    let before = sim.submissions;
    const rerolled = await revise({ shots: [{ ...shots[0], take: 'new' }, ...shots.slice(1)] });
    expect(rerolled.isError, textOf(rerolled)).toBeFalsy();
    expect(sim.submissions - before).toBe(1);
    const b = rerolled.structuredContent!;
    expect(b.shots[0]).toMatchObject({ take: 7, source: 'rendered', reason: 're-roll' });
    // One render: this call's cost is that one clip's; the board counts all seven takes.
    expect(b.costs).toMatchObject({ this_call: { estimate_usd: 0.56, renders: 1 }, board: { takes: 7, cuts: 4 } });
    expect(textOf(rerolled)).toContain('Cost of this call: about $0.56 expected (1 new render).');
    expect(b.shots[0]!.takes.map((t) => t.take)).toEqual([1, 7]);
    expect(b.shots[0]!.takes.every((t) => t.status === 'completed' && t.file)).toBe(true);

    before = sim.submissions;
    const back = await revise({ shots: [{ ...shots[0], take: 1 }, ...shots.slice(1)] });
    expect(back.isError, textOf(back)).toBeFalsy();
    expect(sim.submissions).toBe(before);
    expect(back.structuredContent!.shots[0]).toMatchObject({ take: 1, source: 'reused', reason: 'take 1, as asked' });
    // Without a pick, the newest matching take is the one reused.
    const newest = await revise({ shots });
    expect(newest.structuredContent!.shots[0]!.take).toBe(7);
    expect(sim.submissions).toBe(before);
  });

  it('a take that does not exist, or was made from other inputs, is refused with nothing submitted and no new cut', async ({
    sim,
    shared: c,
    board: { id, shots },
    revise,
  }) => {
    const cuts = (await readJson<{ cuts: unknown[] }>(c.client, `kling://storyboards/${id}`)).cuts.length;
    const before = sim.submissions;
    const missing = await revise({ shots: [{ ...shots[0], take: 99 }] });
    expect(missing).toBeToolError('invalid_input');
    expect(textOf(missing)).toMatch(/Shot 1: storyboard .* has no take 99 \(its takes are 1, 2, 3, 4, 5, 6, 7\)/);
    const other = await revise({ shots: [{ ...shots[0], prompt: 'something else', take: 1 }] });
    expect(other).toBeToolError('invalid_input');
    expect(textOf(other)).toMatch(/take 1 was made from other inputs \(prompt changed\)/);
    expect(textOf(other)).toContain('prompt: take 1 has "shot 1", this shot "something else".');
    // Another frame, by its content, and another duration: each shown beside the take's.
    const k9 = sim.host('k9.png', await image(640, 360, 'png', '#123456'), 'image/png');
    const frame = await revise({ shots: [{ ...shots[0], end_image_url: k9, duration: 10, take: 1 }] });
    expect(frame).toBeToolError('invalid_input');
    const takes = (
      await readJson<{ takes: { take: number; end_image_url: string; image_sha256: { end_image_url: string } }[] }>(c.client, `kling://storyboards/${id}`)
    ).takes;
    const take1 = takes.find((t) => t.take === 1)!;
    expect(textOf(frame)).toContain('duration: take 1 is 5 s, this shot 10 s.');
    expect(textOf(frame)).toContain(
      `end_image_url: take 1 was made from ${take1.end_image_url} (sha256 ${take1.image_sha256.end_image_url.slice(0, 12)}…), this shot gives ${k9} (sha256 `,
    );
    expect(sim.submissions).toBe(before);
    expect((await readJson<{ cuts: unknown[] }>(c.client, `kling://storyboards/${id}`)).cuts.length).toBe(cuts);
  });

  it('the storyboard resource lists every take with the prompt, duration and frames it was made from', async ({ shared: c, board: { id, k } }) => {
    const doc = await readJson<{ takes: Record<string, unknown>[] }>(c.client, `kling://storyboards/${id}`);
    expect(doc.takes.map((t) => t.take)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(doc.takes[1]).toMatchObject({
      take: 2,
      status: 'completed',
      made_for: { cut: 1, shot: 2 },
      prompt: 'shot 2',
      duration: 5,
      start_image_url: k[1],
      end_image_url: k[2],
      image_sha256: { start_image_url: expect.stringMatching(/^[0-9a-f]{64}$/), end_image_url: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });

  it('(d) a bad frame in one changed shot: nothing is submitted at all', async ({ sim, board: { shots }, revise }) => {
    const wide = sim.host('wide.png', await image(1000, 300), 'image/png');
    const next = shots.map((s) => ({ ...s }));
    next[0]!.prompt = 'shot 1, again';
    next[2]!.end_image_url = wide;
    const before = sim.submissions;
    const r = await revise({ shots: next });
    expect(r).toBeToolError('image_rejected');
    expect(textOf(r)).toMatch(/shot 3 end_image_url: The aspect ratio/);
    expect(sim.submissions).toBe(before);
  });

  it('(e) over the spend limit: the revision is refused whole; a pure re-cut still goes through', async ({
    sim,
    sharedDir,
    board: { shots },
    revise,
    connect,
  }) => {
    const capped = await connect({ dir: sharedDir, env: { KLING_MCP_SPEND_LIMIT_USD: '4.50' } });
    const before = sim.submissions;
    const next = shots.map((s, i) => ({ ...s, prompt: `${s.prompt}, in the rain (${i})` }));
    const r = await revise({ shots: next }, capped.client);
    expect(r).toBeToolError('spend_limit');
    expect(textOf(r)).toMatch(/4 new take\(s\) for storyboard/);
    expect(sim.submissions).toBe(before);
    const recut = await revise({ shots: shots.slice(0, 2) }, capped.client);
    expect(recut.isError, textOf(recut)).toBeFalsy();
    expect(sim.submissions).toBe(before);
  });

  it('(f) a declined confirmation: nothing is submitted and no cut is made', async ({ sim, sharedDir, board: { id, shots }, revise, connect }) => {
    const client = newClient({ elicitation: {} });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return { action: 'decline' };
    });
    const asking = await connect({ dir: sharedDir, env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.10' }, client });
    const cuts = (await readJson<{ cuts: unknown[] }>(asking.client, `kling://storyboards/${id}`)).cuts.length;
    const before = sim.submissions;
    const r = await revise({ shots: [{ ...shots[0], prompt: 'a new take, declined' }, ...shots.slice(1)] }, asking.client);
    expect(r).toBeToolError('declined');
    expect(asked.at(-1)).toMatch(/1 new take\(s\) for storyboard .* \(shot 1\).*about \$0\.56/);
    expect(sim.submissions).toBe(before);
    expect((await readJson<{ cuts: unknown[] }>(asking.client, `kling://storyboards/${id}`)).cuts.length).toBe(cuts);
    // A pure re-cut costs nothing, so nobody is asked.
    const n = asked.length;
    expect((await revise({ shots: shots.slice(1) }, asking.client)).isError).toBeFalsy();
    expect(asked.length).toBe(n);
  });

  it('the resource shows every cut with the take of each shot; get_storyboard shows the current one', async ({ shared: c, board: { id } }) => {
    const doc = await readJson<{ cut: number; cuts: { cut: number; takes: (number | null)[]; film: { path: string } | null }[] }>(
      c.client,
      `kling://storyboards/${id}`,
    );
    expect(doc.cuts[0]).toMatchObject({ cut: 1, takes: [1, 2, 3, 4] });
    expect(doc.cuts[1]).toMatchObject({ cut: 2, takes: [1, 5, 6, 4] });
    expect(doc.cuts[2]).toMatchObject({ cut: 3, takes: [4, 1, 5] });
    expect(new Set(doc.cuts.map((x) => x.film?.path)).size).toBe(doc.cuts.length);
    const now = await call(c.client, 'get_storyboard', { storyboard_id: id });
    expect(now.structuredContent!.cut).toBe(doc.cut);
    expect(now.structuredContent!.cuts).toBe(doc.cuts.length);
  });

  it('cancel with the storyboard_id cancels the queued renders of the current cut; a render of the cut before is kept', async ({
    sim,
    shared: c,
    board: { k },
  }) => {
    sim.planNext({}, { queueMs: 60_000 });
    const b = await call(c.client, 'generate_storyboard', { shots: chain(k, 2), wait_seconds: 5 });
    const board = b.structuredContent!.storyboard_id;
    expect(b.structuredContent!.shots.map((s) => s.status)).toEqual(['completed', 'in_queue']);
    const old = b.structuredContent!.shots[1]!.request_id!;
    // Cut 2 renders shot 2 anew and adds shot 3; both stay queued until cancelled.
    sim.planNext({ queueMs: 60_000 }, { queueMs: 60_000 });
    const next = chain(k, 3);
    next[1]!.prompt = 'shot 2, slower';
    const second = await call(c.client, 'revise_storyboard', { storyboard_id: board, shots: next, wait_seconds: 0 });
    expect(second.isError, textOf(second)).toBeFalsy();
    expect(second.structuredContent!.shots.map((s) => s.source)).toEqual(['reused', 'rendered', 'rendered']);
    const x = await call(c.client, 'cancel', { storyboard_id: board });
    expect(x.isError, textOf(x)).toBeFalsy();
    const outcome = x.structuredContent!.storyboard!.shots;
    expect(outcome.map((s) => [s.index, s.status])).toEqual([
      [1, 'completed'],
      [2, 'cancelled'],
      [3, 'cancelled'],
    ]);
    expect((await call(c.client, 'check_status', { request_id: old })).structuredContent!.status).toBe('in_queue');
  });
});

/**
 * Server processes over stdio run on real time, so their simulator does too; its jobs are short, since what these
 * tests prove is decided in the ledger, not by how long a render takes.
 */
const FAST = { queueMs: 50, runMs: 150 };
const processes = labTest({ sim: { timing: { 5: FAST, 10: FAST } }, env: { KLING_MCP_EXPECTED_RUN_S: '5:0.15,10:0.15' } }).extend(
  'p',
  { scope: 'file' },
  ({ sim }) => hostFrames(sim, 'p'),
);

describe('revisions at once, in two server processes, and a server killed mid-revision', () => {
  processes('(g) the same revision sent at once to two processes and twice to one: every take is rendered once', async ({ sim, p: k, spawn }) => {
    const a = await spawn();
    const b = await spawn();
    const first = await call(a.client, 'generate_storyboard', { shots: chain(k, 4) });
    expect(first.isError, textOf(first)).toBeFalsy();
    const id = first.structuredContent!.storyboard_id;
    const k3 = sim.host('p3-new.png', await image(640, 360, 'png', '#101010'), 'image/png');
    const next = chain(k, 4);
    next[2]!.end_image_url = k3;
    next[3]!.start_image_url = k3;
    const before = sim.submissions;
    const answers = await Promise.all([a.client, b.client, b.client].map((client) => call(client, 'revise_storyboard', { storyboard_id: id, shots: next })));
    for (const r of answers) expect(r.isError, textOf(r)).toBeFalsy();
    expect(sim.submissions - before).toBe(2);
    const done = await call(a.client, 'get_storyboard', { storyboard_id: id, wait_seconds: 30 });
    expect(done.structuredContent!.status).toBe('completed');
    expect(done.structuredContent!.cuts).toBe(4);
    expect(takesOf(done.structuredContent!)).toEqual([1, 2, 5, 6]);
  });

  processes(
    '(h) SIGKILL while the second render of a revision is on the wire: after a restart it is of unknown outcome; get_storyboard resends it and finishes the cut, no take twice',
    async ({ sim, p: k, spawn, onTestFinished }) => {
      onTestFinished(() => sim.clearFaults());
      const setup = await spawn();
      const first = await call(setup.client, 'generate_storyboard', { shots: chain(k, 3) });
      await setup.close();
      const id = first.structuredContent!.storyboard_id;
      const next = chain(k, 3).map((s) => ({ ...s, prompt: `${s.prompt}, at night` }));
      const before = sim.submissions;
      const sent = () => sim.requests.filter((r) => r.route === 'submit').length;
      const sentBefore = sent();
      // Render 1 is accepted; render 2's request hangs before RunComfy processes it (and is then dropped), so the
      // server dies with render 2 reserved and sent but never created.
      sim.inject({ route: 'submit', afterProcessing: true, delayMs: 300, times: 1 });
      sim.inject({ route: 'submit', delayMs: 3_000, reset: 'before-headers' });
      const doomed = await spawn();
      const pending = call(doomed.client, 'revise_storyboard', { storyboard_id: id, shots: next, wait_seconds: 60 }).catch(() => undefined);
      await until(() => sent() === sentBefore + 2);
      process.kill(doomed.transport.pid!, 'SIGKILL');
      await pending;
      sim.clearFaults();
      expect(sim.submissions).toBe(before + 1);

      const again = await spawn();
      const lost = await call(again.client, 'get_storyboard', { storyboard_id: id, wait_seconds: 0 });
      expect(lost.structuredContent!).toMatchObject({ cut: 2 });
      expect(lost.structuredContent!.shots[1]).toMatchObject({ status: 'outcome_unknown' });
      const r = await call(again.client, 'get_storyboard', { storyboard_id: id, resubmit_unknown: true, wait_seconds: 40 });
      expect(r.isError, textOf(r)).toBeFalsy();
      const b = r.structuredContent!;
      expect(sim.submissions).toBe(before + 3);
      expect(b).toMatchObject({ status: 'completed', cut: 2 });
      // Take 5 was the lost submission's number, never handed out again; the first look submitted shot 3 (take 6).
      expect(takesOf(b)).toEqual([4, 7, 6]);
      expect(b.shots.every((s) => !s.earlier_request_ids)).toBe(true);
      expect(path.basename(b.film!.path)).toBe(`${id}-cut2.mp4`);
    },
  );
});
