import fc from 'fast-check';
import { MODEL_TOOLS } from '../src/tools/index.js';
import { describe, expect } from 'vitest';
import { VirtualClock } from '../src/util/clock.js';
import { call, image, textOf } from './helpers.js';
import { labTest } from './lab.js';

const it = labTest({ clock: new VirtualClock(), sim: { timing: { 5: { queueMs: 20, runMs: 40 }, 10: { queueMs: 20, runMs: 60 } } } });

/**
 * Property-based fuzzing of every tool's arguments: whatever an agent sends,
 * the server answers with a well-formed MCP result, never an internal error,
 * keeps serving, and every job it created upstream is named in its answer.
 */
describe('fuzzing tool arguments', () => {
  let good: string;
  let base: string;

  it.beforeAll(async ({ sim }) => {
    good = sim.host('good.png', await image(640, 360));
    sim.host('tiny.png', await image(100, 100));
    base = sim.url;
  });

  const junk = fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
  // Valid values are weighted up so that a fair share of calls reach the happy path.
  const url = () =>
    fc.oneof(
      { arbitrary: fc.constant(good), weight: 8 },
      fc.constant(`${base}/files/tiny.png`),
      fc.constant(`${base}/files/missing.png`),
      fc.string().map((s) => `${base}/files/${encodeURIComponent(s)}`),
      fc.string({ maxLength: 50 }),
      junk,
    );
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const requestId = () => fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), fc.constantFrom('../x', 'a/b', '%2F'), junk);

  const shot = () => ({
    prompt: fc.oneof(
      { arbitrary: fc.stringMatching(/^[ -~]{1,80}$/).filter((p) => p.trim() !== ''), weight: 4 },
      fc.string({ maxLength: 100 }),
      fc.string({ minLength: 2400, maxLength: 2600 }),
      junk,
    ),
    start_image_url: url(),
    end_image_url: url(),
    duration: optional(fc.oneof({ arbitrary: fc.constantFrom(5, 10), weight: 3 }, fc.integer({ min: -20, max: 20 }), junk)),
  });
  const wait = () => optional(fc.oneof({ arbitrary: fc.integer({ min: -1, max: 3 }), weight: 3 }, junk));
  const flag = () => optional(fc.oneof({ arbitrary: fc.boolean(), weight: 3 }, junk));
  const storyboardId = () => fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^sb-[a-z0-9]{6,12}$/), fc.constantFrom('sb-../x', 'sb-'), junk);

  const argsFor: Record<string, () => fc.Arbitrary<Record<string, unknown>>> = {
    generate_soundtrack: () =>
      fc.record(
        {
          prompt: shot().prompt,
          seconds: optional(fc.oneof({ arbitrary: fc.integer({ min: 3, max: 20 }), weight: 3 }, junk)),
          for_storyboard: optional(storyboardId()),
          instrumental: flag(),
          wait_seconds: wait(),
        },
        { requiredKeys: [] },
      ),
    generate_keyframes: () =>
      fc.record(
        {
          keyframes: fc.oneof(
            { arbitrary: fc.array(fc.record({ prompt: shot().prompt }), { minLength: 1, maxLength: 3 }), weight: 4 },
            fc.array(fc.record({ prompt: fc.constant('fuzz'), references: fc.array(url(), { maxLength: 2 }) }), { maxLength: 2 }),
            junk,
          ),
          aspect_ratio: optional(fc.oneof({ arbitrary: fc.constantFrom('16:9', '1:1', '4:1', 'auto'), weight: 3 }, junk)),
          resolution: optional(fc.oneof(fc.constantFrom('1K', '2K', '4K'), junk)),
          wait_seconds: wait(),
        },
        { requiredKeys: [] },
      ),
    generate_video: () => fc.record({ ...shot(), wait_seconds: wait(), download: flag() }, { requiredKeys: [] }),
    generate_storyboard: () =>
      fc.record(
        {
          shots: fc.oneof(
            { arbitrary: fc.array(fc.constant({ prompt: 'fuzz', start_image_url: good, end_image_url: good }), { minLength: 1, maxLength: 3 }), weight: 6 },
            { arbitrary: fc.array(fc.record(shot(), { requiredKeys: ['prompt', 'start_image_url', 'end_image_url'] }), { maxLength: 3 }), weight: 4 },
            fc.array(junk, { maxLength: 3 }),
            junk,
          ),
          title: optional(fc.oneof({ arbitrary: fc.string({ maxLength: 40 }), weight: 4 }, junk)),
          wait_seconds: wait(),
          download: flag(),
          stitch: flag(),
        },
        { requiredKeys: [] },
      ),
    get_storyboard: () =>
      fc.record({ storyboard_id: storyboardId(), wait_seconds: wait(), download: flag(), stitch: flag(), resubmit_failed: flag() }, { requiredKeys: [] }),
    revise_storyboard: () =>
      fc.record(
        {
          storyboard_id: storyboardId(),
          shots: fc.oneof(
            fc.array(fc.record({ ...shot(), take: optional(fc.oneof(fc.constant('new'), fc.integer({ min: -1, max: 3 }), junk)) }), { maxLength: 3 }),
            junk,
          ),
          soundtrack: optional(fc.oneof(fc.constant('/nowhere/track.m4a'), junk)),
          wait_seconds: wait(),
        },
        { requiredKeys: [] },
      ),
    check_status: () => fc.record({ request_id: requestId(), wait_seconds: optional(fc.oneof(fc.integer({ min: -2, max: 1 }), junk)) }, { requiredKeys: [] }),
    get_result: () =>
      fc.record(
        { request_id: requestId(), wait_seconds: optional(fc.oneof(fc.integer({ min: -2, max: 1 }), junk)), download: optional(junk) },
        { requiredKeys: [] },
      ),
    cancel: () => fc.record({ request_id: requestId(), storyboard_id: optional(storyboardId()) }, { requiredKeys: [] }),
    list_jobs: () =>
      fc.record(
        {
          status: optional(fc.oneof(fc.constantFrom('unfinished', 'completed', 'failed'), junk)),
          limit: optional(fc.oneof(fc.integer({ min: -5, max: 300 }), junk)),
        },
        { requiredKeys: [] },
      ),
  };

  it('covers every tool the server has', () => {
    expect(Object.keys(argsFor).sort()).toEqual(MODEL_TOOLS.map((t) => t.name).sort());
  });

  it.for(Object.keys(argsFor))('%s: every answer is a well-formed MCP result', { timeout: 120_000 }, async (tool, { sim, shared }) => {
    const submittedBefore = sim.submissions;
    await fc.assert(
      fc.asyncProperty(argsFor[tool]!(), async (args) => {
        const before = new Set(sim.jobs.keys());
        const r = await call(shared.client, tool, args);
        expect(Array.isArray(r.content)).toBe(true);
        for (const block of r.content) expect(['text', 'resource_link']).toContain(block.type);
        expect(textOf(r).length).toBeGreaterThan(0);
        expect(textOf(r)).not.toMatch(/bug in kling-o1-mcp/);
        if (!r.isError) expect(typeof r.structuredContent).toBe('object');
        // A job paid for upstream is never lost: the answer names it.
        for (const id of sim.jobs.keys()) if (!before.has(id)) expect(JSON.stringify(r)).toContain(id);
      }),
      { numRuns: tool === 'generate_video' ? 80 : tool === 'generate_storyboard' ? 40 : 50 },
    );
    await expect(shared.client.ping()).resolves.toBeDefined();
    // The generator also reaches the happy path, not only the refusals.
    if (tool === 'generate_video' || tool === 'generate_storyboard') expect(sim.submissions).toBeGreaterThan(submittedBefore);
  });
});
