import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { call, image, textOf } from './helpers.js';
import { labTest } from './lab.js';

const RPS = 100;
const test = labTest({
  sim: { timing: { 5: { queueMs: 200, runMs: 600 }, 10: { queueMs: 200, runMs: 600 } } },
  env: {
    KLING_MCP_UPSTREAM_RPS: String(RPS),
    KLING_MCP_POLL_QUEUE_MS: '100-400',
    KLING_MCP_POLL_MAX_MS: '400',
    KLING_MCP_POLL_NEAR_MS: '100',
    KLING_MCP_EXPECTED_RUN_S: '5:0.6',
  },
});

// The shipped bin runs on real time (no clock of this test reaches into another process); nothing here depends on
// how fast the machine is: a slower one only takes longer.
test('one server process finishes 100 concurrent generate_video calls without stampeding the API', async ({ sim, spawn }) => {
  const c = await spawn();
  const start = sim.host('s.png', await image(640, 360));
  const end = sim.host('e.png', await image(640, 360, 'png', '#44aa44'));
  // A megabyte each to save, served as it streams: this measures the server, not the simulator's clip encoder.
  sim.planNext(...Array.from({ length: 100 }, () => ({ outputBytes: 1 << 20 })));
  const began = Date.now();
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      call(c.client, 'generate_video', { prompt: `load ${i}`, start_image_url: start, end_image_url: end, wait_seconds: 120 }),
    ),
  );
  const took = Date.now() - began;
  for (const r of results) {
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent!.status).toBe('completed');
  }
  expect(new Set(results.map((r) => r.structuredContent!.request_id)).size).toBe(100);
  expect(sim.submissions).toBe(100);

  // Reads of all jobs share one rate: the process grants them at most RPS a second (spacing proven exactly on a
  // controlled clock in rate-limit.test.ts), so however the machine stalls, they cannot all fit in less time than
  // that rate allows. Polled on their own, a hundred jobs would need a fraction of it.
  const reads = sim.count('status') + sim.count('result');
  expect(reads).toBeGreaterThanOrEqual(200); // each job: a status read at least, and its result
  expect(took).toBeGreaterThanOrEqual(((reads - 1) / RPS) * 1000);

  // Memory stays bounded: the server's peak resident set (Linux reports it).
  const statusFile = `/proc/${c.transport.pid}/status`;
  if (existsSync(statusFile)) {
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(statusFile, 'utf8'))?.[1]);
    expect(peakKb / 1024).toBeLessThan(512);
  }
}, 120_000);
