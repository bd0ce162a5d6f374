/**
 * What every ledger store must do, written against the LedgerStore interface
 * alone: a store is done when `describeLedgerContract` passes on it
 * (test/ledger-contract.test.ts runs it on the SQLite store). What only one
 * store has (SQLite's file, its write-ahead log, the jsonl import) is tested
 * beside that store, not here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KlingError } from '../src/errors.js';
import type { LedgerEvent } from '../src/ledger/records.js';
import type { LedgerChange, LedgerSpend, LedgerStore, LedgerTx } from '../src/ledger/store.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { at, fold, input, slice, T0 } from './records.js';

/** One empty ledger of the store under test, and the ways the suite reaches it. */
export interface LedgerPlace {
  /** A store on this ledger, not opened yet. */
  store(): LedgerStore;
  /** A store on this ledger, opened: each call is another client of it, as another server process would be. */
  open(): Promise<LedgerStore>;
  /** Marks this ledger, before any store opens it, as written by a newer kling-o1-mcp (a schema version above this code's). */
  makeNewer(): Promise<void>;
  /** Closes every store it made and removes the ledger. */
  cleanup(): Promise<void>;
}

const MODEL = DEFAULT_MODEL.id;
const SHOT = 0.56;

const record = (store: LedgerStore, e: LedgerEvent) => {
  const { t, id, at: when, ...fields } = e;
  return store.record(t, id, fields as never, when);
};

async function recordAll(store: LedgerStore, events: LedgerEvent[]): Promise<void> {
  for (const e of events) await record(store, e);
}

/** The spend of the sources' jobs and submissions in flight, as the spend limit adds them (boards aside). */
const usdOf = (s: LedgerSpend) => s.jobs.usd + s.pending.reduce((sum, p) => sum + (p.estimate_usd ?? 0), 0);

/** A history that touches every kind of event: a board of two cuts, jobs through every state, submissions resolved three ways and one left in flight. */
function history(): LedgerEvent[] {
  const sb = 'sb-contract01';
  const shot = (prompt: string) => ({ ...input(prompt), estimate_usd: SHOT });
  return [
    { t: 'storyboard', id: sb, at: at(0), title: 'door', shots: [shot('one'), shot('two')], estimate_usd: 2 * SHOT, warnings: ['w'] },
    {
      t: 'submitting',
      id: 'p-1',
      at: at(1),
      model: MODEL,
      input: input('one'),
      estimate_usd: SHOT,
      board: { id: sb, shot: 1, cut: 1, take: 1 },
      pid: 1,
      instance: 'a',
    },
    {
      t: 'submitted',
      id: 'job-1',
      at: at(2),
      model: MODEL,
      input: input('one'),
      estimate_usd: SHOT,
      intent: 'p-1',
      board: { id: sb, shot: 1, cut: 1, take: 1 },
    },
    { t: 'state', id: 'job-1', at: at(3), status: 'in_queue', queue_position: 2 },
    { t: 'state', id: 'job-1', at: at(4), status: 'in_queue', queue_position: 1 },
    { t: 'state', id: 'job-1', at: at(10), status: 'in_progress' },
    { t: 'state', id: 'job-1', at: at(70), status: 'completed' },
    { t: 'output', id: 'job-1', at: at(71), output: { video: 'https://out.example/1.mp4' } },
    {
      t: 'file',
      id: 'job-1',
      at: at(72),
      file: { url: 'https://out.example/1.mp4', path: '/tmp/1.mp4', bytes: 10, sha256: 'c'.repeat(64), mime: 'video/mp4' },
    },
    { t: 'cost', id: 'job-1', at: at(72), charged_usd: SHOT },
    // Shot 2 left in flight by a process that died, then sent again: the new submission replaces it.
    {
      t: 'submitting',
      id: 'p-2',
      at: at(80),
      model: MODEL,
      input: input('two'),
      estimate_usd: SHOT,
      board: { id: sb, shot: 2, cut: 1 },
      pid: 2,
      instance: 'b',
    },
    {
      t: 'submitting',
      id: 'p-3',
      at: at(81),
      model: MODEL,
      input: input('two'),
      estimate_usd: SHOT,
      board: { id: sb, shot: 2, cut: 1 },
      pid: 3,
      instance: 'c',
    },
    { t: 'submitting', id: 'p-4', at: at(82), model: MODEL, input: input('refused'), estimate_usd: SHOT },
    { t: 'submit_failed', id: 'p-4', at: at(83), error: 'bad request' },
    { t: 'submitting', id: 'p-5', at: at(84), model: 'test/other-model', input: input('lost', 10), estimate_usd: 2 * SHOT },
    {
      t: 'submit_unknown',
      id: 'unknown-1',
      at: at(85),
      model: 'test/other-model',
      input: input('lost', 10),
      error: 'socket hang up',
      estimate_usd: 2 * SHOT,
      intent: 'p-5',
    },
    { t: 'state', id: 'job-1', at: at(90), status: 'completed' },
    { t: 'error', id: 'unknown-1', at: at(91), code: 'upstream', message: 'still unknown' },
    {
      t: 'cut',
      id: sb,
      at: at(100),
      cut: 2,
      shots: [{ ...shot('one'), take: 1 }, { ...shot('two'), slot: { cut: 1, shot: 2 } }, shot('three')],
      estimate_usd: 2 * SHOT,
      title: 'door, again',
    },
    {
      t: 'film',
      id: sb,
      at: at(110),
      cut: 1,
      film: { url: 'clips', path: '/tmp/sb.mp4', bytes: 20, sha256: 'd'.repeat(64), mime: 'video/mp4', duration_s: 10, frames: 240, clips: ['c'] },
    },
    { t: 'sheet', id: sb, at: at(111), cut: 1, file: { url: 'clips', path: '/tmp/sb.png', bytes: 5, sha256: 'e'.repeat(64), mime: 'image/png' } },
    { t: 'film_error', id: sb, at: at(112), cut: 2, message: 'a shot is missing' },
    // A job's events from two processes interleave: the latest observation wins.
    { t: 'submitted', id: 'job-2', at: at(120), input: input('old ledger, no model'), estimate_usd: SHOT },
    { t: 'state', id: 'job-2', at: at(130), status: 'in_progress' },
    { t: 'state', id: 'job-2', at: at(125), status: 'in_queue' },
  ];
}

export function describeLedgerContract(name: string, create: () => Promise<LedgerPlace>): void {
  describe(`the ledger contract: ${name}`, () => {
    const places: LedgerPlace[] = [];
    const place = async () => {
      const p = await create();
      places.push(p);
      return p;
    };
    afterEach(async () => {
      for (const p of places.splice(0)) await p.cleanup();
    });

    it('answers every operation with a Promise: a store not opened refuses each one (state_unavailable), never by throwing at the call', async () => {
      const store = (await place()).store();
      const calls: (() => Promise<unknown>)[] = [
        () => store.job('job-1'),
        () => store.board('sb-1'),
        () => store.slice('sb-1'),
        () => store.jobs({ limit: 1 }),
        () => store.boards({ limit: 1 }),
        () => store.completeIds('jobs', 'job', 10),
        () => store.recentRunsMs(MODEL, 5, 10),
        () => store.spendSources(-Infinity),
        () => store.assets({ ids: ['kf-1'] }),
        () => store.record('state', 'job-1', { status: 'completed' }, at(1)),
        () => store.transaction(() => Promise.resolve(1)),
        () => store.putQuote('q-1', { fingerprint: 'f', expiresAt: at(1) }, at(0)),
        () => store.takeQuote('q-1'),
        () => store.modelRead('m/1'),
        () => store.claimModelRead('m/1', at(0), () => true),
        () => store.putModelRead('m/1', { failed: 'x', at: at(0) }),
      ];
      for (const op of calls) {
        let answer: Promise<unknown> | undefined;
        expect(() => (answer = op())).not.toThrow();
        await expect(answer).rejects.toMatchObject({ code: 'state_unavailable' });
      }
    });

    it('folds every event into the records the pure fold makes: jobs, storyboards, submissions in flight, each board’s slice', async () => {
      const store = await (await place()).open();
      const events = history();
      await recordAll(store, events);
      const whole = fold(events);
      for (const [id, job] of whole.jobs) expect(await store.job(id), id).toEqual(job);
      for (const [id, board] of whole.boards) expect(await store.board(id), id).toEqual(board);
      expect((await store.spendSources(-Infinity)).pending).toEqual([...whole.pending.values()]);
      expect((await store.spendSources(-Infinity)).pending.map((p) => p.id)).toEqual(['p-3']);
      expect(await store.slice('sb-contract01')).toEqual(slice(whole, 'sb-contract01'));
      expect(await store.job('job-2')).toMatchObject({ model: MODEL, status: 'in_progress' });
      expect(await store.job('nope')).toBeUndefined();
      expect(await store.board('sb-nope')).toBeUndefined();
      expect(await store.slice('sb-nope')).toBeUndefined();
    });

    it('finds the jobs and submissions in flight that make assets, by asset id or key, in a transaction too', async () => {
      const store = await (await place()).open();
      const asset = (id: string, key: string) => ({ prompt: id, asset: { id, key } });
      await recordAll(store, [
        { t: 'submitted', id: 'img-1', at: at(1), model: MODEL, input: asset('kf-a', 'key-1') },
        { t: 'submitted', id: 'img-2', at: at(2), model: MODEL, input: asset('kf-b', 'key-1') },
        { t: 'submitted', id: 'img-3', at: at(3), model: MODEL, input: asset('kf-c', 'key-2') },
        { t: 'submitting', id: 'p-img', at: at(4), model: MODEL, input: asset('kf-d', 'key-3') },
      ]);
      const ids = (found: { jobs: { request_id: string }[]; pending: { id: string }[] }) => [
        ...found.jobs.map((j) => j.request_id),
        ...found.pending.map((p) => p.id),
      ];
      expect(ids(await store.assets({ keys: ['key-1'] }))).toEqual(['img-1', 'img-2']);
      expect(ids(await store.assets({ ids: ['kf-c'], keys: ['key-3'] }))).toEqual(['img-3', 'p-img']);
      expect(ids(await store.assets({ ids: ['kf-none'] }))).toEqual([]);
      expect(ids(await store.transaction((tx) => tx.assets({ keys: ['key-2'] })))).toEqual(['img-3']);
    });

    it('keeps everything across a close, for every store that opens the ledger later', async () => {
      const p = await place();
      const first = await p.open();
      const events = history();
      await recordAll(first, events);
      await first.close();
      const later = await p.open();
      const whole = fold(events);
      for (const [id, job] of whole.jobs) expect(await later.job(id)).toEqual(job);
      expect(await later.board('sb-contract01')).toEqual(whole.boards.get('sb-contract01'));
      expect((await later.jobs({ limit: 10 })).total).toBe(whole.jobs.size);
    });

    it('a transaction writes all of its events or none: a throw inside it is passed on as it was, and nothing it wrote is kept or reported', async () => {
      const store = await (await place()).open();
      const changes: LedgerChange[] = [];
      await store.job('warm-up');
      store.onChange((c) => changes.push(c));
      const refusal = new KlingError('spend_limit', 'over the limit');
      const failed = store.transaction(async (tx) => {
        await tx.write({ t: 'submitted', id: 'job-x', at: at(1), input: input(), estimate_usd: SHOT });
        await tx.write({ t: 'state', id: 'job-x', at: at(2), status: 'in_queue' });
        throw refusal;
      });
      await expect(failed).rejects.toBe(refusal);
      expect(await store.job('job-x')).toBeUndefined();
      expect((await store.jobs({ limit: 10 })).total).toBe(0);
      expect(changes).toEqual([]);

      const value = await store.transaction(async (tx) => {
        await tx.write({ t: 'submitted', id: 'job-y', at: at(3), input: input(), estimate_usd: SHOT });
        return (await tx.spendSources(-Infinity)).jobs.jobs;
      });
      // What a transaction reads includes what it wrote before.
      expect(value).toBe(1);
      expect(changes).toEqual([{ ids: ['job-y'], added: true }]);
    });

    it('a transaction’s LedgerTx kept past its end is refused: nothing is written outside a transaction', async () => {
      const store = await (await place()).open();
      let kept: LedgerTx | undefined;
      await store.transaction((tx) => {
        kept = tx;
        return Promise.resolve();
      });
      await expect(kept!.write({ t: 'submitted', id: 'late', at: at(1), input: input() })).rejects.toThrow();
      await expect(kept!.spendSources(-Infinity)).rejects.toThrow();
      expect(await store.job('late')).toBeUndefined();
    });

    it('reservations racing from two stores of one ledger: the spend check and the write in one transaction let through exactly what the limit allows', async () => {
      const p = await place();
      const [a, b] = [await p.open(), await p.open()];
      const limitUsd = 5 * SHOT;
      const reserve = (store: LedgerStore, i: number) =>
        store.transaction(async (tx) => {
          if (usdOf(await tx.spendSources(-Infinity)) + SHOT > limitUsd + 1e-9) return false;
          await tx.write({ t: 'submitting', id: `p-${i}`, at: at(i), model: MODEL, input: input(`clip ${i}`), estimate_usd: SHOT });
          return true;
        });
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(i % 2 ? a : b, i)));
      expect(outcomes.filter(Boolean)).toHaveLength(5);
      expect((await a.spendSources(-Infinity)).pending).toHaveLength(5);
      expect(usdOf(await b.spendSources(-Infinity))).toBeCloseTo(limitUsd, 9);
    });

    it('claims of one storyboard shot racing from two stores: the claim read on the board’s slice in the transaction, exactly one wins', async () => {
      const p = await place();
      const [a, b] = [await p.open(), await p.open()];
      const id = 'sb-claims0001';
      await record(a, { t: 'storyboard', id, at: at(0), shots: [{ ...input('one'), estimate_usd: SHOT }] });
      const free = (tx: LedgerTx) => tx.slice(id).then((s) => !!s && s.pending.length === 0 && s.jobs.length === 0);
      const claim = (store: LedgerStore, i: number) =>
        store.transaction(async (tx) => {
          if (!(await free(tx))) return false;
          await tx.write({ t: 'submitting', id: `p-${i}`, at: at(i), model: MODEL, input: input('one'), estimate_usd: SHOT, board: { id, shot: 1, take: 1 } });
          return true;
        });
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(i % 2 ? a : b, i + 1)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect((await b.slice(id))!.pending).toHaveLength(1);
    });

    it('two revisions of one board from two stores are numbered one after the other, each decided on the slice its transaction read', async () => {
      const p = await place();
      const [a, b] = [await p.open(), await p.open()];
      const id = 'sb-revise0001';
      await record(a, { t: 'storyboard', id, at: at(0), shots: [{ ...input('one'), estimate_usd: SHOT }] });
      const revise = (store: LedgerStore, prompt: string) =>
        store.transaction(async (tx) => {
          const now = (await tx.slice(id))!;
          const cut = now.board.cuts.length + 1;
          await tx.write({ t: 'cut', id, at: at(cut), cut, shots: [{ ...input(prompt), estimate_usd: SHOT }] });
          return cut;
        });
      const cuts = await Promise.all([revise(a, 'from a'), revise(b, 'from b'), revise(a, 'from a again')]);
      expect([...cuts].sort()).toEqual([2, 3, 4]);
      expect((await b.board(id))!.cuts.map((c) => c.cut)).toEqual([1, 2, 3, 4]);
    });

    it('pages jobs and storyboards newest first by cursor, each once, with totals per phase; a cursor not given out is refused', async () => {
      const store = await (await place()).open();
      const n = 25;
      const id = (i: number) => `job-${String(i).padStart(3, '0')}`;
      for (let i = 0; i < n; i++) {
        // Two jobs submitted at each moment: ties are broken by id.
        await record(store, { t: 'submitted', id: id(i), at: at(Math.floor(i / 2)), model: MODEL, input: input(`job ${i}`), estimate_usd: SHOT });
        if (i % 3 === 0) await record(store, { t: 'state', id: id(i), at: at(100 + i), status: 'completed' });
        if (i % 3 === 1) await record(store, { t: 'state', id: id(i), at: at(100 + i), status: 'failed' });
      }
      const walk = async (phases?: string[]) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.jobs({ limit: 10, ...(cursor && { cursor }), ...(phases && { phases }) });
          expect(page.items.length).toBeLessThanOrEqual(10);
          ids.push(...page.items.map((j) => j.request_id));
          cursor = page.next;
          if (cursor === undefined) return { ids, total: page.total };
        } while (ids.length <= n);
        throw new Error('the pages did not end');
      };
      const all = await walk();
      expect(all.total).toBe(n);
      expect(all.ids).toEqual(Array.from({ length: n }, (_, i) => id(n - 1 - i)));
      const completed = await walk(['completed']);
      expect(completed.ids).toEqual(all.ids.filter((j) => Number(j.slice(4)) % 3 === 0));
      expect(completed.total).toBe(completed.ids.length);
      const queued = await walk(['queued', 'failed']);
      expect(queued.total).toBe(n - completed.total);
      expect((await store.jobs({ limit: 5, phases: ['cancelled'] })).items).toEqual([]);
      await expect(store.jobs({ limit: 10, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'invalid_input' });

      for (let b = 0; b < 3; b++) await record(store, { t: 'storyboard', id: `sb-page00000${b}`, at: at(b), shots: [{ ...input(), estimate_usd: SHOT }] });
      const first = await store.boards({ limit: 2 });
      expect(first.items.map((x) => x.storyboard_id)).toEqual(['sb-page000002', 'sb-page000001']);
      const second = await store.boards({ limit: 2, cursor: first.next });
      expect(second.items.map((x) => x.storyboard_id)).toEqual(['sb-page000000']);
      expect(second.next).toBeUndefined();
    });

    it('completes job and storyboard ids by prefix, in order, at most the limit', async () => {
      const store = await (await place()).open();
      for (const id of ['job-b2', 'job-a1', 'job-a3', 'job-a2', 'other']) await record(store, { t: 'submitted', id, at: at(1), input: input() });
      await record(store, { t: 'storyboard', id: 'sb-abc', at: at(1), shots: [input()] });
      expect(await store.completeIds('jobs', 'job-a', 10)).toEqual(['job-a1', 'job-a2', 'job-a3']);
      expect(await store.completeIds('jobs', 'job-', 2)).toEqual(['job-a1', 'job-a2']);
      expect(await store.completeIds('jobs', 'sb-', 10)).toEqual([]);
      expect(await store.completeIds('boards', 'sb-a', 10)).toEqual(['sb-abc']);
    });

    it('gives the spend sources of a window: its jobs, every submission in flight, and the open boards of the window that still reserve renders', async () => {
      const store = await (await place()).open();
      const since = at(1000);
      const shots = (k: number) => Array.from({ length: k }, (_, i) => ({ ...input(`s${i}`), estimate_usd: SHOT }));
      await recordAll(store, [
        { t: 'submitted', id: 'old', at: at(10), input: input(), estimate_usd: 9 },
        { t: 'submitted', id: 'charged', at: at(1001), input: input(), estimate_usd: SHOT },
        { t: 'cost', id: 'charged', at: at(1100), charged_usd: 0.5 },
        { t: 'submitted', id: 'estimated', at: at(1002), input: input(), estimate_usd: SHOT },
        { t: 'submitted', id: 'cancelled', at: at(1003), input: input(), estimate_usd: SHOT },
        { t: 'state', id: 'cancelled', at: at(1004), status: 'cancelled' },
        { t: 'submitted', id: 'unpriced', at: at(1005), input: input() },
        { t: 'submitting', id: 'p-old', at: at(20), model: MODEL, input: input(), estimate_usd: 1 },
        { t: 'storyboard', id: 'sb-before', at: at(30), shots: shots(1) },
        { t: 'storyboard', id: 'sb-open', at: at(1010), shots: shots(2) },
        { t: 'submitted', id: 'open-1', at: at(1011), input: input('s0'), estimate_usd: SHOT, board: { id: 'sb-open', shot: 1 } },
        { t: 'storyboard', id: 'sb-closed', at: at(1020), shots: shots(1) },
        { t: 'storyboard_closed', id: 'sb-closed', at: at(1021), reason: 'cancelled by the user' },
        { t: 'storyboard', id: 'sb-done', at: at(1030), shots: shots(1) },
        { t: 'submitted', id: 'done-1', at: at(1031), input: input('s0'), estimate_usd: SHOT, board: { id: 'sb-done', shot: 1 } },
      ]);
      const window = await store.spendSources(since);
      // Charged, estimated, cancelled in the queue (free), of unknown price, and the two of boards.
      expect(window.jobs).toMatchObject({ jobs: 6, unpriced: 1 });
      expect(window.jobs.usd).toBeCloseTo(0.5 + 3 * SHOT, 9);
      expect(window.pending.map((p) => p.id)).toEqual(['p-old']);
      expect(window.boards.map((x) => x.board.storyboard_id)).toEqual(['sb-open']);
      expect(window.boards[0]!.jobs).toMatchObject([{ board: { id: 'sb-open', shot: 1 } }]);
      const ever = await store.spendSources(-Infinity);
      expect(ever.jobs).toMatchObject({ jobs: 7, unpriced: 1 });
      expect(ever.jobs.usd).toBeCloseTo(9 + 0.5 + 3 * SHOT, 9);
      expect(ever.boards.map((x) => x.board.storyboard_id).sort()).toEqual(['sb-before', 'sb-open']);
    });

    it('a board of several cuts reserves the renders still to submit of its current cut alone: a reused take nothing, a shared slot once', async () => {
      const store = await (await place()).open();
      const id = 'sb-cuts0a1b2c';
      const shot = (prompt: string) => ({ ...input(prompt), estimate_usd: SHOT });
      const reserving = async () => (await store.spendSources(-Infinity)).boards.map((b) => b.board.storyboard_id);
      await record(store, { t: 'storyboard', id, at: T0, shots: [shot('one'), shot('two')], estimate_usd: 2 * SHOT });
      await record(store, { t: 'submitted', id: 'job-1', at: at(1), input: input('one'), estimate_usd: SHOT, board: { id, shot: 1, take: 1 } });
      expect(await reserving()).toEqual([id]);
      // Cut 2: shot 1 reuses take 1, shot 2 shares cut 1's unsent shot 2, shot 3 is a new render.
      await record(store, {
        t: 'cut',
        id,
        at: at(2),
        cut: 2,
        shots: [{ ...shot('one'), take: 1 }, { ...shot('two'), slot: { cut: 1, shot: 2 } }, shot('three')],
      });
      expect((await store.slice(id))!.board).toMatchObject({ cut: 2, shots: [{ take: 1 }, { slot: { cut: 1, shot: 2 } }, { prompt: 'three' }] });
      await record(store, { t: 'submitted', id: 'job-2', at: at(3), input: input('two'), estimate_usd: SHOT, board: { id, shot: 2, cut: 1, take: 2 } });
      expect(await reserving()).toEqual([id]);
      await record(store, { t: 'submitted', id: 'job-3', at: at(4), input: input('three'), estimate_usd: SHOT, board: { id, shot: 3, cut: 2, take: 3 } });
      // Nothing left to submit: the board no longer reserves anything, and the spend reads it no more.
      expect(await reserving()).toEqual([]);
    });

    it('learns run times per (model, clip length), newest first, from the jobs seen running and then completed', async () => {
      const store = await (await place()).open();
      const run = async (id: string, model: string | undefined, duration: number | undefined, runS: number, s: number) => {
        await record(store, { t: 'submitted', id, at: at(s), ...(model && { model }), input: { prompt: id, ...(duration !== undefined && { duration }) } });
        await record(store, { t: 'state', id, at: at(s + 1), status: 'in_progress' });
        await record(store, { t: 'state', id, at: at(s + 1 + runS), status: 'completed' });
      };
      await run('a', MODEL, 5, 60, 0);
      await run('b', 'test/other-model', 5, 30, 100);
      await run('c', undefined, 5, 80, 200);
      await run('d', MODEL, 10, 120, 300);
      await run('e', MODEL, 5, 70, 400);
      // A model without durations (an image model) learns one run time of its own.
      await run('f', 'test/image-model', undefined, 12, 450);
      await record(store, { t: 'submitted', id: 'never-ran', at: at(500), model: MODEL, input: { prompt: 'x', duration: 5 } });
      expect((await store.job('c'))?.model).toBe(MODEL);
      expect(await store.recentRunsMs(MODEL, 5, 10)).toEqual([70_000, 80_000, 60_000]);
      expect(await store.recentRunsMs(MODEL, 5, 2)).toEqual([70_000, 80_000]);
      expect(await store.recentRunsMs('test/other-model', 5, 10)).toEqual([30_000]);
      expect(await store.recentRunsMs(MODEL, 10, 10)).toEqual([120_000]);
      expect(await store.recentRunsMs(MODEL, 8, 10)).toEqual([]);
      expect(await store.recentRunsMs('test/image-model', undefined, 10)).toEqual([12_000]);
      expect(await store.recentRunsMs(MODEL, undefined, 10)).toEqual([]);
    });

    it('a quote is taken once, by one of two stores presenting it at the same moment; expired ones are forgotten when a new one is kept', async () => {
      const p = await place();
      const [a, b] = [await p.open(), await p.open()];
      await a.putQuote('q-1', { fingerprint: 'f1', expiresAt: at(300) }, at(0));
      const taken = await Promise.all([a.takeQuote('q-1'), b.takeQuote('q-1'), b.takeQuote('q-1')]);
      expect(taken.filter((q) => q !== undefined)).toEqual([{ fingerprint: 'f1', expiresAt: at(300) }]);
      expect(await a.takeQuote('q-never')).toBeUndefined();

      await a.putQuote('q-2', { fingerprint: 'f2', expiresAt: at(10) }, at(0));
      await a.putQuote('q-3', { fingerprint: 'f3', expiresAt: at(30) }, at(0));
      // Kept until a later put forgets what expired before its `forgetBefore`.
      await b.putQuote('q-4', { fingerprint: 'f4', expiresAt: at(400) }, at(20));
      expect(await b.takeQuote('q-2')).toBeUndefined();
      expect(await b.takeQuote('q-3')).toEqual({ fingerprint: 'f3', expiresAt: at(30) });
      expect(await a.takeQuote('q-4')).toEqual({ fingerprint: 'f4', expiresAt: at(400) });
    });

    it('a model’s live-schema read is claimed by one of two stores at once; what it found is kept for every store, a failure beside the last schema', async () => {
      const p = await place();
      const [a, b] = [await p.open(), await p.open()];
      const never = (last: unknown) => last === undefined;
      expect(await a.modelRead('m/1')).toBeUndefined();
      const claims = await Promise.all([a.claimModelRead('m/1', at(0), never), b.claimModelRead('m/1', at(0), never)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      const schema = { required: ['prompt'], properties: { prompt: { type: 'string' } } };
      await a.putModelRead('m/1', { schema, at: at(1) });
      expect(await b.modelRead('m/1')).toEqual({ claimedAt: at(0), schema, readAt: at(1) });
      // A later claim forgets nothing it found until its own read ends; a failed one keeps the schema beside why.
      expect(await b.claimModelRead('m/1', at(50), (last) => last?.readAt === at(1))).toBe(true);
      await b.putModelRead('m/1', { failed: 'no answer', at: at(51) });
      expect(await a.modelRead('m/1')).toEqual({ claimedAt: at(50), schema, readAt: at(1), failed: 'no answer' });
      expect(await a.claimModelRead('m/1', at(60), () => false)).toBe(false);
      expect(await a.modelRead('m/2')).toBeUndefined();
    });

    it('tells its listeners what changed, by this store or another, on the next read: ids once each, whether a record is new, nothing for what the first read found', async () => {
      const p = await place();
      const a = await p.open();
      await record(a, { t: 'submitted', id: 'before', at: at(0), input: input() });
      const b = await p.open();
      const seen: LedgerChange[] = [];
      const stop = b.onChange((c) => seen.push(c));
      await b.job('before');
      expect(seen).toEqual([]);

      await record(a, { t: 'submitted', id: 'job-1', at: at(1), model: MODEL, input: input(), estimate_usd: SHOT });
      await record(a, { t: 'state', id: 'job-1', at: at(2), status: 'in_progress' });
      expect((await b.job('job-1'))?.status).toBe('in_progress');
      expect(seen).toEqual([{ ids: ['job-1'], added: true }]);
      await b.jobs({ limit: 1 });
      expect(seen).toHaveLength(1);

      // A job of a board names the board too; a submission in flight names only its board; a board's own event, itself.
      const sb = 'sb-notice0001';
      await record(a, { t: 'storyboard', id: sb, at: at(3), shots: [{ ...input(), estimate_usd: SHOT }] });
      await b.board(sb);
      expect(seen[1]).toEqual({ ids: [sb], added: true });
      await record(a, { t: 'submitting', id: 'p-1', at: at(4), model: MODEL, input: input(), estimate_usd: SHOT, board: { id: sb, shot: 1 } });
      await b.spendSources(-Infinity);
      expect(seen[2]).toEqual({ ids: [sb], added: false });
      await record(a, { t: 'submitted', id: 'job-2', at: at(5), input: input(), estimate_usd: SHOT, intent: 'p-1', board: { id: sb, shot: 1 } });
      await b.slice(sb);
      expect(seen[3]).toEqual({ ids: ['job-2', sb], added: true });
      await record(a, { t: 'submitting', id: 'p-2', at: at(6), model: MODEL, input: input(), estimate_usd: SHOT });
      await b.job('job-2');
      expect(seen).toHaveLength(4);

      // Its own writes are reported too; a listener removed hears nothing more.
      const own: LedgerChange[] = [];
      a.onChange((c) => own.push(c));
      await record(a, { t: 'state', id: 'job-2', at: at(7), status: 'completed' });
      await a.job('job-2');
      expect(own).toContainEqual({ ids: ['job-2', sb], added: false });
      stop();
      await b.job('job-2');
      expect(seen).toHaveLength(4);
    });

    it('a ledger written by a newer kling-o1-mcp is refused at open (state_unavailable, saying so), and refused again: it is not rewritten', async () => {
      const p = await place();
      await p.makeNewer();
      await expect(p.store().open()).rejects.toMatchObject({ code: 'state_unavailable', message: expect.stringMatching(/newer kling-o1-mcp/) });
      await expect(p.store().open()).rejects.toMatchObject({ code: 'state_unavailable', message: expect.stringMatching(/newer kling-o1-mcp/) });
    });
  });
}
