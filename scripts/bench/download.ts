/** Bench child: saves one result of argv[3] bytes from the simulator job URL argv[2]; prints peak RSS. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Downloader } from '../../src/jobs/downloads.js';
import { createAgent } from '../../src/runcomfy/client.js';
import { systemClock } from '../../src/util/clock.js';

const [url] = process.argv.slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'kling-bench-dl-'));
const before = process.resourceUsage().maxRSS / 1024;
const t0 = performance.now();
const saved = await new Downloader(dir, createAgent(), systemClock).save(url!, 'big', undefined);
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ bytes: saved.bytes, ms, rssBeforeMb: before, peakRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
rmSync(dir, { recursive: true, force: true });
process.exit(0);
