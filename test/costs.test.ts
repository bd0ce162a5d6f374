import { describe, expect } from 'vitest';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { systemClock, VirtualClock } from '../src/util/clock.js';
import { call, keyframes, newClient, startSim, textOf } from './helpers.js';
import { labTest } from './lab.js';

/** One clock for the simulator and the in-memory servers: the jobs, and the retries of a price endpoint that is down, take no real time. */
const test = labTest({ clock: new VirtualClock() })
  // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from its first parameter: none is {}
  .extend('downSim', { scope: 'file' }, async ({}, { onCleanup }) => {
    const sim = await startSim({ price: { down: true } });
    onCleanup(() => sim.stop());
    return sim;
  })
  .extend('clip', ({ frames }) => (extra: Record<string, unknown> = {}) => ({
    prompt: '@Image1 to @Image2',
    start_image_url: frames.start,
    end_image_url: frames.end,
    ...extra,
  }));

/** Costs before and after, the spend limit (also across two processes), and confirmation through elicitation. */
describe('costs, the spend limit and confirmation', () => {
  test('states the expected cost, then what RunComfy charged; records the charge; list_jobs shows the spend', async ({ connect, clip }) => {
    const c = await connect();
    const quick = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
    expect(quick.structuredContent!.cost).toEqual({ estimate_usd: 0.56, charged_usd: null });
    expect(textOf(quick)).toMatch(/about \$0\.56 expected/);

    const r = await call(c.client, 'generate_video', clip({ duration: 10 }));
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent!.cost).toEqual({ estimate_usd: 1.12, charged_usd: 1.12 });
    expect(textOf(r)).toMatch(/\$1\.12 charged by RunComfy/);
    const job = JSON.parse(((await c.client.readResource({ uri: `kling://jobs/${r.structuredContent!.request_id}` })).contents[0] as { text: string }).text);
    expect(job.charged_usd).toBe(1.12);

    const list = await call(c.client, 'list_jobs', {});
    expect(list.structuredContent!.spend).toMatchObject({ last_24h_usd: 1.68, total_usd: 1.68 });
    expect(textOf(list)).toMatch(/Spend: \$1\.68 over the last 24 h/);
  });

  test('KLING_MCP_PRICE_PER_SECOND_USD overrides the published price', async ({ connect, clip }) => {
    const c = await connect({ env: { KLING_MCP_PRICE_PER_SECOND_USD: '0.2' } });
    const r = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
    expect(r.structuredContent!.cost!.estimate_usd).toBe(1);
  });

  test('a price endpoint that is down leaves the cost unknown, and under a cap nothing is submitted blind', async ({ connect, downSim }) => {
    const downFrames = await keyframes(downSim);
    const args = { prompt: 'p', start_image_url: downFrames.start, end_image_url: downFrames.end, wait_seconds: 0 };
    const open = await connect({ sim: downSim });
    const r = await call(open.client, 'generate_video', args);
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent!.cost).toBeUndefined();

    const capped = await connect({ sim: downSim, env: { KLING_MCP_SPEND_LIMIT_USD: '10' } });
    const before = downSim.submissions;
    const refused = await call(capped.client, 'generate_video', args);
    expect(refused).toBeToolError('price_unknown');
    expect(textOf(refused)).toMatch(/KLING_MCP_SPEND_LIMIT_USD is set.*KLING_MCP_PRICE_PER_SECOND_USD/s);
    expect(downSim.submissions).toBe(before);
  });

  test('the spend limit refuses before anything is sent, naming the variable, the spend so far and the cost', async ({ sim, connect, clip }) => {
    const c = await connect({ env: { KLING_MCP_SPEND_LIMIT_USD: '1.00' } });
    const first = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
    expect(first.isError).toBeFalsy();
    const before = sim.submissions;
    const r = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
    expect(r).toBeToolError('spend_limit');
    expect(textOf(r)).toMatch(/KLING_MCP_SPEND_LIMIT_USD=\$1\.00/);
    expect(textOf(r)).toMatch(/already \$0\.56/);
    expect(textOf(r)).toMatch(/cost about \$0\.56/);
    expect(sim.submissions).toBe(before);
  });

  test('the limit holds across two server processes sharing one ledger, even when they submit at the same moment', async ({ sim, connect, spawn, clip }) => {
    const env = { KLING_MCP_SPEND_LIMIT_USD: '1.20' };
    const a = await spawn({ env });
    // Real time, as the other process keeps: the 24 h window is the same for both.
    const b = await connect({ env, clock: systemClock });
    const before = sim.submissions;
    // $1.20 allows two 5 s clips ($0.56 each): of four racing calls, exactly two may pass.
    const results = await Promise.all([a.client, b.client, a.client, b.client].map((cl) => call(cl, 'generate_video', clip({ wait_seconds: 0 }))));
    const refused = results.filter((r) => r.isError);
    expect(refused).toHaveLength(2);
    refused.forEach((r) => expect(r).toBeToolError('spend_limit'));
    expect(sim.submissions - before).toBe(2);
    const again = await call(a.client, 'generate_video', clip({ wait_seconds: 0 }));
    expect(again).toBeToolError('spend_limit');
    expect(sim.submissions - before).toBe(2);
  });

  describe('confirmation for big spends (KLING_MCP_CONFIRM_ABOVE_USD)', () => {
    /** A client that answers every confirmation form with `action`, counting the questions. */
    function answering(action: 'accept' | 'decline' | 'cancel', confirm = true) {
      const client = newClient({ elicitation: {} });
      const asked: string[] = [];
      client.setRequestHandler(ElicitRequestSchema, async (req) => {
        asked.push(req.params.message);
        return action === 'accept' ? { action, content: { confirm } } : { action };
      });
      return { client, asked };
    }

    const withAnswer = test.extend('confirmWith', ({ sim, connect, clip }) => async (action: 'accept' | 'decline' | 'cancel', confirm = true) => {
      const { client, asked } = answering(action, confirm);
      const c = await connect({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.50' }, client });
      const before = sim.submissions;
      const r = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
      return { r, asked, submitted: sim.submissions - before };
    });

    withAnswer('accept submits, after showing the cost and what will be made', async ({ confirmWith }) => {
      const { r, asked, submitted } = await confirmWith('accept');
      expect(r.isError).toBeFalsy();
      expect(submitted).toBe(1);
      expect(asked[0]).toMatch(/a 5 s clip.*about \$0\.56/);
      // The model is named from the work, not written into the question.
      expect(asked[0]).toContain(DEFAULT_MODEL.title);
    });

    withAnswer.for(['decline', 'cancel'] as const)('%s submits nothing', async (action, { confirmWith }) => {
      const { r, submitted } = await confirmWith(action);
      expect(r).toBeToolError('declined');
      expect(textOf(r)).toMatch(/Nothing was submitted/);
      expect(submitted).toBe(0);
    });

    withAnswer('an accepted form with the box unticked is a no', async ({ confirmWith }) => {
      const { submitted } = await confirmWith('accept', false);
      expect(submitted).toBe(0);
    });

    test('a spend the limit would refuse is refused without asking first', async ({ sim, connect, clip }) => {
      const { client, asked } = answering('accept');
      const c = await connect({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.10', KLING_MCP_SPEND_LIMIT_USD: '0.50' }, client });
      const before = sim.submissions;
      const r = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
      expect(r).toBeToolError('spend_limit');
      expect(asked).toHaveLength(0);
      expect(sim.submissions).toBe(before);
    });

    test('a small spend is not asked about, and a client without elicitation gets a quote instead (test/quote.test.ts)', async ({ sim, connect, clip }) => {
      const { client, asked } = answering('accept');
      const small = await connect({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '2' }, client });
      expect((await call(small.client, 'generate_video', clip({ wait_seconds: 0 }))).isError).toBeFalsy();
      expect(asked).toHaveLength(0);
      const plain = await connect({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.10' } });
      const before = sim.submissions;
      expect(await call(plain.client, 'generate_video', clip({ wait_seconds: 0 }))).toBeToolError('confirmation_required');
      expect(sim.submissions - before).toBe(0);
    });
  });
});
