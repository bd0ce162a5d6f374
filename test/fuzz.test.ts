import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, image, textOf } from './helpers.js';
import { useLab } from './lab.js';

/**
 * Property-based fuzzing of every tool's arguments: whatever an agent sends,
 * the server answers with a well-formed MCP result, never an internal error,
 * keeps serving, and every job it created upstream is named in its answer.
 */
describe('fuzzing tool arguments', () => {
  const lab = useLab({ sim: { timing: { 5: { queueMs: 20, runMs: 40 }, 10: { queueMs: 20, runMs: 60 } } } });
  let good: string;

  beforeAll(async () => {
    good = lab.sim.host('good.png', await image(640, 360));
    lab.sim.host('tiny.png', await image(100, 100));
  });

  const junk = fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
  // Valid values are weighted up so that a fair share of calls reach the happy path.
  const url = () =>
    fc.oneof(
      { arbitrary: fc.constant(good), weight: 8 },
      fc.constant(`${lab.sim.url}/files/tiny.png`),
      fc.constant(`${lab.sim.url}/files/missing.png`),
      fc.string().map((s) => `${lab.sim.url}/files/${encodeURIComponent(s)}`),
      fc.string({ maxLength: 50 }),
      junk,
    );
  const optional = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const requestId = () => fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), fc.constantFrom('../x', 'a/b', '%2F'), junk);

  const argsFor: Record<string, () => fc.Arbitrary<Record<string, unknown>>> = {
    generate_video: () =>
      fc.record(
        {
          prompt: fc.oneof({ arbitrary: fc.stringMatching(/^[ -~]{1,80}$/).filter((p) => p.trim() !== ''), weight: 4 }, fc.string({ maxLength: 100 }), fc.string({ minLength: 2400, maxLength: 2600 }), junk),
          start_image_url: url(),
          end_image_url: url(),
          duration: optional(fc.oneof({ arbitrary: fc.constantFrom(5, 10), weight: 3 }, fc.integer({ min: -20, max: 20 }), junk)),
          wait_seconds: optional(fc.oneof({ arbitrary: fc.integer({ min: -1, max: 3 }), weight: 3 }, junk)),
          download: optional(fc.oneof({ arbitrary: fc.boolean(), weight: 3 }, junk)),
        },
        { requiredKeys: [] },
      ),
    check_status: () => fc.record({ request_id: requestId(), wait_seconds: optional(fc.oneof(fc.integer({ min: -2, max: 1 }), junk)) }, { requiredKeys: [] }),
    get_result: () =>
      fc.record({ request_id: requestId(), wait_seconds: optional(fc.oneof(fc.integer({ min: -2, max: 1 }), junk)), download: optional(junk) }, { requiredKeys: [] }),
    cancel: () => fc.record({ request_id: requestId() }, { requiredKeys: [] }),
    list_jobs: () => fc.record({ status: optional(fc.oneof(fc.constantFrom('unfinished', 'completed', 'failed'), junk)), limit: optional(fc.oneof(fc.integer({ min: -5, max: 300 }), junk)) }, { requiredKeys: [] }),
  };

  it.each(Object.keys(argsFor))('%s: every answer is a well-formed MCP result', async (tool) => {
    await fc.assert(
      fc.asyncProperty(argsFor[tool]!(), async (args) => {
        const before = new Set(lab.sim.jobs.keys());
        const r = await call(lab.c.client, tool, args);
        expect(Array.isArray(r.content)).toBe(true);
        for (const block of r.content) expect(['text', 'resource_link']).toContain(block.type);
        expect(textOf(r).length).toBeGreaterThan(0);
        expect(textOf(r)).not.toMatch(/bug in kling-o1-mcp/);
        if (!r.isError) expect(typeof r.structuredContent).toBe('object');
        // A job paid for upstream is never lost: the answer names it.
        for (const id of lab.sim.jobs.keys()) if (!before.has(id)) expect(JSON.stringify(r)).toContain(id);
      }),
      { numRuns: tool === 'generate_video' ? 80 : 50 },
    );
    await expect(lab.c.client.ping()).resolves.toBeDefined();
    // The generator also reaches the happy path, not only the refusals.
    if (tool === 'generate_video') expect(lab.sim.submissions).toBeGreaterThan(0);
  }, 120_000);
});
