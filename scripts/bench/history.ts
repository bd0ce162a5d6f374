/**
 * Bench child: writes a synthetic history of argv[3] finished jobs (and 1,000
 * four-shot storyboards, when there are jobs) straight into a new ledger in
 * the folder argv[2], through the import path; prints how long that took.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { LedgerEvent } from '../../src/ledger/records.js';
import { openDb } from '../../src/ledger/sqlite/db.js';
import { importEvents } from '../../src/ledger/sqlite/jsonl-import.js';
import { LEDGER_DB } from '../../src/ledger/sqlite/ledger.js';
import { Rows } from '../../src/ledger/sqlite/rows.js';
import { DEFAULT_MODEL } from '../../src/models/registry.js';

const [dir, count] = process.argv.slice(2);
const jobs = Number(count);
const BOARDS = jobs > 0 ? 1000 : 0;
const SHOTS = 4;
/** One job every five minutes, the newest just now: 100,000 jobs span about a year. */
const STEP_MS = 5 * 60_000;
const now = Date.now();

function* history(): Generator<LedgerEvent> {
  const frame = (n: number) => `/home/me/frames/shot-${n}.png`;
  for (let b = 0; b < BOARDS; b++) {
    const at = now - (jobs - b * SHOTS) * STEP_MS - 1000;
    const shots = Array.from({ length: SHOTS }, (_, s) => ({
      prompt: `board ${b} shot ${s + 1}: the camera drifts along the street`,
      start_image_url: frame(s),
      end_image_url: frame(s + 1),
      duration: 5,
      estimate_usd: 0.56,
    }));
    yield { t: 'storyboard', id: `sb-bench${String(b).padStart(6, '0')}`, at, title: `board ${b}`, shots, estimate_usd: 0.56 * SHOTS };
  }
  for (let i = 0; i < jobs; i++) {
    const id = `bench-${String(i).padStart(7, '0')}-4f1c-9a3e-5b2d7c8e9f01`;
    const at = now - (jobs - i) * STEP_MS;
    const board = i < BOARDS * SHOTS ? { id: `sb-bench${String(Math.floor(i / SHOTS)).padStart(6, '0')}`, shot: (i % SHOTS) + 1 } : undefined;
    const duration = i % 3 === 0 ? 10 : 5;
    const input = {
      prompt: `job ${i}: a slow dolly shot through a rainy neon street, reflections on the asphalt`,
      start_image_url: `https://img.example/${i}/start.png`,
      end_image_url: `https://img.example/${i}/end.png`,
      duration,
      image_sha256: { start_image_url: 'a'.repeat(64), end_image_url: 'b'.repeat(64) },
    };
    const video = `https://outputs.example/${id}.mp4`;
    yield { t: 'submitted', id, at, model: DEFAULT_MODEL.id, input, estimate_usd: 0.112 * duration, ...(board && { board }) };
    yield { t: 'state', id, at: at + 20_000, status: 'in_progress' };
    yield { t: 'state', id, at: at + 110_000, status: 'completed' };
    yield { t: 'output', id, at: at + 111_000, output: { video } };
    yield {
      t: 'file',
      id,
      at: at + 112_000,
      file: { url: video, path: `/home/me/kling-o1-mcp/${id}.mp4`, bytes: 4_200_000, sha256: 'c'.repeat(64), mime: 'video/mp4' },
    };
    yield { t: 'cost', id, at: at + 112_000, charged_usd: 0.112 * duration };
  }
}

mkdirSync(dir!, { recursive: true });
const t0 = performance.now();
// As a first start imports an old jobs.jsonl: in the transaction that creates the database.
let events = 0;
const db = await openDb(path.join(dir!, LEDGER_DB), (created) => {
  events = importEvents(new Rows(created), history());
});
const ms = performance.now() - t0;
db.close();
process.stdout.write(JSON.stringify({ events, ms, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
process.exit(0);
