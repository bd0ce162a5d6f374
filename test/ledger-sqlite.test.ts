/**
 * What only the SQLite store does: its file (imported from the old jsonl once, its write-ahead log kept small, left
 * as it was when refused) and its refusals as the tools give them. What every store does is test/ledger-contract.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'libsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_DB, LEGACY_FILE, SqliteLedger } from '../src/ledger/sqlite/ledger.js';
import type { LedgerEvent } from '../src/ledger/records.js';
import { SCHEMA_VERSION, WAL_FOLD_BYTES } from '../src/ledger/sqlite/db.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';

const MODEL_ID = DEFAULT_MODEL.id;
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { createLogger } from '../src/util/log.js';
import { ROOT, call, connectInMemory, keyframes, readJson, simEnv, startSim, tempDir, textOf } from './helpers.js';
import { T0, at, fold, input } from './records.js';

const silent = createLogger('silent');

async function opened(dir: string, log = silent): Promise<SqliteLedger> {
  const ledger = new SqliteLedger(dir, log);
  await ledger.open();
  return ledger;
}

/** Rows of the events table, read past the ledger's own code. */
function eventCount(dir: string): number {
  const db = new Database(path.join(dir, LEDGER_DB), { readonly: true });
  try {
    return Number((db.prepare('SELECT count(*) FROM events').raw().get() as unknown[])[0]);
  } finally {
    db.close();
  }
}

/**
 * Lines as the jsonl ledger wrote them (copied from a real jobs.jsonl of that code): no model on the submission,
 * a storyboard, a pending submission, a torn last line.
 */
const OLD_LINES = [
  '{"t":"submitting","id":"pending-mh2k1a-0a1b2c3d","at":1767268800000,"input":{"prompt":"a red door opens","start_image_url":"https://img.example/start.png","end_image_url":"https://img.example/end.png","duration":5},"estimate_usd":0.56,"pid":4242,"instance":"mh2k1a00"}',
  '{"t":"submitted","id":"job-old-1","at":1767268801000,"input":{"prompt":"a red door opens","start_image_url":"https://img.example/start.png","end_image_url":"https://img.example/end.png","duration":5,"image_sha256":{"start_image_url":"aa","end_image_url":"bb"}},"estimate_usd":0.56,"intent":"pending-mh2k1a-0a1b2c3d"}',
  '{"t":"state","id":"job-old-1","at":1767268802000,"status":"in_queue","queue_position":1}',
  '{"t":"state","id":"job-old-1","at":1767268810000,"status":"in_progress"}',
  '{"t":"state","id":"job-old-1","at":1767268900000,"status":"completed"}',
  '{"t":"cost","id":"job-old-1","at":1767268900000,"charged_usd":0.56}',
  'not json at all',
  '{"t":"storyboard","id":"sb-mh2k1b0a1b2c","at":1767268950000,"title":"door","shots":[{"prompt":"shot 1","start_image_url":"https://img.example/a.png","end_image_url":"https://img.example/b.png","duration":5,"estimate_usd":0.56}],"estimate_usd":0.56}',
  '{"t":"submitting","id":"pending-mh2k1c-11223344","at":1767268960000,"input":{"prompt":"lost","start_image_url":"u","end_image_url":"v","duration":10},"estimate_usd":1.12,"pid":999999,"instance":"gone"}',
  '{"t":"state","id":"job-old-1","at":17672',
];

describe('the ledger database', () => {
  it('imports an old jobs.jsonl once, in one go: torn and unreadable lines reported by number, the file left untouched, old events read as the seed model', async () => {
    const tmp = tempDir();
    try {
      const dir = path.join(tmp.dir, 'state');
      mkdirSync(dir, { recursive: true });
      const legacy = path.join(dir, LEGACY_FILE);
      writeFileSync(legacy, OLD_LINES.join('\n'));
      const before = { bytes: readFileSync(legacy), mtime: statSync(legacy).mtimeMs };
      const logs: string[] = [];
      const ledger = await opened(
        dir,
        createLogger('info', (l) => logs.push(l)),
      );
      expect(logs.join('')).toMatch(/skipping unreadable line 7 of .*jobs\.jsonl/);
      expect(logs.join('')).toMatch(/skipping unreadable line 10 of .*jobs\.jsonl/);
      expect(logs.join('')).toMatch(/imported 8 event\(s\)/);
      const job = await ledger.job('job-old-1');
      expect(job).toMatchObject({ model: MODEL_ID, status: 'completed', charged_usd: 0.56 });
      expect(job!.input).toMatchObject({ prompt: 'a red door opens', duration: 5, image_sha256: { start_image_url: 'aa', end_image_url: 'bb' } });
      expect(await ledger.recentRunsMs(MODEL_ID, 5, 10)).toEqual([90_000]);
      // The first submission resolved into job-old-1; the second is still in flight (its process is gone).
      const spend = await ledger.spendSources(-Infinity);
      expect([...spend.pending].map((p) => p.estimate_usd)).toEqual([1.12]);
      expect(spend.jobs).toEqual({ usd: 0.56, jobs: 1, unpriced: 0 });
      expect((await ledger.slice('sb-mh2k1b0a1b2c'))?.board.title).toBe('door');
      await ledger.close();
      expect(eventCount(dir)).toBe(8);
      expect(readFileSync(legacy).equals(before.bytes)).toBe(true);
      expect(statSync(legacy).mtimeMs).toBe(before.mtime);

      // A second start reads the database; the jsonl, even grown, is not imported again.
      writeFileSync(legacy, `${OLD_LINES.join('\n')}\n${OLD_LINES[2]}\n`);
      const second = await opened(dir);
      await second.close();
      expect(eventCount(dir)).toBe(8);
    } finally {
      tmp.cleanup();
    }
  });

  it('imports a history longer than it holds at once: every job as if folded whole, the totals per phase exact', async () => {
    const tmp = tempDir();
    try {
      const dir = path.join(tmp.dir, 'state');
      mkdirSync(dir, { recursive: true });
      // Every job's later events come after all the submissions, so each is folded onto a row written before.
      const n = 2_500;
      const id = (i: number) => `job-${String(i).padStart(5, '0')}`;
      const events: LedgerEvent[] = [
        ...Array.from({ length: n }, (_, i): LedgerEvent => ({ t: 'submitted', id: id(i), at: at(i), input: input(`job ${i}`), estimate_usd: 0.56 })),
        ...Array.from({ length: n }, (_, i): LedgerEvent => ({ t: 'state', id: id(i), at: at(n + i), status: i % 5 === 0 ? 'failed' : 'completed' })),
        ...Array.from({ length: n / 2 }, (_, i): LedgerEvent => ({ t: 'cost', id: id(2 * i), at: at(2 * n + i), charged_usd: 0.56 })),
      ];
      writeFileSync(path.join(dir, LEGACY_FILE), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
      const ledger = await opened(dir);
      try {
        const whole = fold(events);
        for (const i of [0, 1, 999, 1_000, 1_001, 2_499]) expect(await ledger.job(id(i))).toEqual(whole.jobs.get(id(i)));
        expect((await ledger.jobs({ limit: 1 })).total).toBe(n);
        expect((await ledger.jobs({ limit: 1, phases: ['completed'] })).total).toBe(n - n / 5);
        expect((await ledger.jobs({ limit: 1, phases: ['failed'] })).total).toBe(n / 5);
        expect((await ledger.jobs({ limit: 1, phases: ['queued', 'running'] })).total).toBe(0);
        expect(eventCount(dir)).toBe(events.length);
      } finally {
        await ledger.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('a file of a newer schema is refused, naming it, and left as it was (its user_version untouched)', async () => {
    const tmp = tempDir();
    try {
      const db = new Database(path.join(tmp.dir, LEDGER_DB));
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
      await expect(opened(tmp.dir)).rejects.toThrow(/ledger\.db was written by a newer kling-o1-mcp \(schema version 2; this one reads up to 1\)/);
      const check = new Database(path.join(tmp.dir, LEDGER_DB), { readonly: true });
      expect((check.prepare('PRAGMA user_version').raw().get() as unknown[])[0]).toBe(SCHEMA_VERSION + 1);
      check.close();
    } finally {
      tmp.cleanup();
    }
  });
  it('a file made before the live-schema reads were kept gains their table at the next open, its schema version unchanged', async () => {
    const tmp = tempDir();
    try {
      await (await opened(tmp.dir)).close();
      const db = new Database(path.join(tmp.dir, LEDGER_DB));
      db.exec('DROP TABLE model_reads');
      db.close();
      const ledger = await opened(tmp.dir);
      expect(await ledger.claimModelRead('m/1', 1, () => true)).toBe(true);
      expect(await ledger.modelRead('m/1')).toEqual({ claimedAt: 1 });
      await ledger.close();
      const check = new Database(path.join(tmp.dir, LEDGER_DB), { readonly: true });
      expect((check.prepare('PRAGMA user_version').raw().get() as unknown[])[0]).toBe(SCHEMA_VERSION);
      check.close();
    } finally {
      tmp.cleanup();
    }
  });
  it('leaves no large write-ahead log for the next start to read: not after a large import, nor after a process that stopped without its checkpoint', async () => {
    const tmp = tempDir();
    try {
      const dir = path.join(tmp.dir, 'state');
      mkdirSync(dir, { recursive: true });
      // Jobs of long prompts: the import's one transaction writes a log well past WAL_FOLD_BYTES.
      const prompt = 'a slow dolly shot through a rainy neon street '.repeat(2_500);
      const lines = Array.from({ length: 120 }, (_, i) => JSON.stringify({ t: 'submitted', id: `job-${i}`, at: at(i), input: { ...input(), prompt } }));
      writeFileSync(path.join(dir, LEGACY_FILE), lines.join('\n'));
      const wal = path.join(dir, `${LEDGER_DB}-wal`);
      const ledger = await opened(dir);
      expect(statSync(wal).size).toBe(0);
      expect((await ledger.jobs({ limit: 1 })).total).toBe(120);

      // Another process writes as much in one transaction and exits without closing the file (as a killed server does).
      const script = [
        `const db = new (require('libsql'))(${JSON.stringify(path.join(dir, LEDGER_DB))});`,
        `db.transaction(() => { for (let i = 0; i < 200; i++) db.prepare('INSERT INTO quotes VALUES (?, ?, 0)').run('q' + i, 'x'.repeat(100000)); })();`,
        'process.exit(0);',
      ].join('\n');
      execFileSync(process.execPath, ['-e', script], { cwd: ROOT });
      expect(statSync(wal).size).toBeGreaterThan(WAL_FOLD_BYTES);
      await ledger.close();
      const next = await opened(dir);
      expect(statSync(wal).size).toBe(0);
      expect((await next.jobs({ limit: 1 })).total).toBe(120);
      await next.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('the ledger database behind the tools', () => {
  let sim: RunComfySimulator;
  let frames: { start: string; end: string };
  beforeAll(async () => {
    sim = await startSim();
    frames = await keyframes(sim);
  });
  afterAll(async () => {
    await sim.stop();
  });

  /** A generate_video call on a state folder prepared by `prepare`: its answer, and whether anything was submitted. */
  async function generateOn(prepare: (state: string) => void) {
    const tmp = tempDir();
    const state = path.join(tmp.dir, 'state');
    mkdirSync(state, { recursive: true });
    prepare(state);
    const c = await connectInMemory(simEnv(sim, tmp.dir));
    try {
      const before = sim.count('submit');
      const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
      return { r, submitted: sim.count('submit') - before };
    } finally {
      await c.close();
      tmp.cleanup();
    }
  }

  it('a damaged database file: a clear error naming it and what to do, and nothing is submitted', async () => {
    const { r, submitted } = await generateOn((state) => writeFileSync(path.join(state, LEDGER_DB), 'this is not an SQLite file '.repeat(200)));
    expect(r).toBeToolError('state_unavailable');
    expect(textOf(r)).toMatch(/ledger\.db is damaged/);
    expect(textOf(r)).toMatch(/Move it aside/);
    expect(submitted).toBe(0);
  });

  it('a database of a newer schema: a clear error, and nothing is submitted', async () => {
    const { r, submitted } = await generateOn((state) => {
      const db = new Database(path.join(state, LEDGER_DB));
      db.exec('PRAGMA user_version = 99');
      db.close();
    });
    expect(r).toBeToolError('state_unavailable');
    expect(textOf(r)).toMatch(/newer kling-o1-mcp/);
    expect(submitted).toBe(0);
  });

  it('a database that cannot be created (a folder in its place): a clear KLING_MCP_STATE_DIR error, and nothing is submitted', async () => {
    const { r, submitted } = await generateOn((state) => mkdirSync(path.join(state, LEDGER_DB)));
    expect(r).toBeToolError('state_unavailable');
    expect(textOf(r)).toMatch(/ledger\.db cannot be opened/);
    expect(textOf(r)).toMatch(/KLING_MCP_STATE_DIR/);
    expect(submitted).toBe(0);
  });

  it('many jobs: list_jobs pages newest first through all of them; the resources stay bounded; ids complete by prefix', async () => {
    const tmp = tempDir();
    try {
      const state = path.join(tmp.dir, 'state');
      mkdirSync(state, { recursive: true });
      const n = 450;
      const lines = Array.from({ length: n }, (_, i) =>
        JSON.stringify({ t: 'submitted', id: `job-${String(i).padStart(4, '0')}`, at: T0 + i * 1000, input: input(`job ${i}`), estimate_usd: 0.56 }),
      );
      writeFileSync(path.join(state, LEGACY_FILE), `${lines.join('\n')}\n`);
      const c = await connectInMemory(simEnv(sim, tmp.dir));
      try {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await call(c.client, 'list_jobs', { limit: 200, ...(cursor && { cursor }) });
          expect(page.isError, textOf(page)).toBeFalsy();
          expect(page.structuredContent!.total).toBe(n);
          ids.push(...page.structuredContent!.jobs.map((j) => j.request_id));
          cursor = page.structuredContent!.next_cursor;
        } while (cursor);
        expect(ids).toHaveLength(n);
        expect(ids[0]).toBe('job-0449');
        expect(ids.at(-1)).toBe('job-0000');
        expect(new Set(ids).size).toBe(n);

        const bad = await call(c.client, 'list_jobs', { cursor: 'not-a-cursor' });
        expect(bad).toBeToolError('invalid_input');

        const listed = await readJson<{ request_id: string }[]>(c.client, 'kling://jobs');
        expect(listed).toHaveLength(200);
        expect(listed[0]!.request_id).toBe('job-0449');
        const { resources } = await c.client.listResources();
        expect(resources.filter((r) => r.uri.startsWith('kling://jobs/')).length).toBe(200);
        const completion = await c.client.complete({
          ref: { type: 'ref/resource', uri: 'kling://jobs/{request_id}' },
          argument: { name: 'request_id', value: 'job-01' },
        });
        expect(completion.completion.values).toHaveLength(100);
        expect(completion.completion.values.every((v) => v.startsWith('job-01'))).toBe(true);
      } finally {
        await c.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('a job submitted through the tools records its model', async () => {
    const tmp = tempDir();
    const c = await connectInMemory(simEnv(sim, tmp.dir));
    try {
      const r = await call(c.client, 'generate_video', { prompt: 'model', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 });
      const job = await c.app.ledger.job(r.structuredContent!.request_id);
      expect(job?.model).toBe(MODEL_ID);
    } finally {
      await c.close();
      tmp.cleanup();
    }
  });
});
