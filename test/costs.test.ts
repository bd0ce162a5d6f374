import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { call, connectInMemory, connectStdio, keyframes, newClient, simEnv, startSim, tempDir, textOf, type Connected } from './helpers.js';

/** Costs before and after, the spend limit (also across two processes), and confirmation through elicitation. */
describe('costs, the spend limit and confirmation', () => {
  let sim: RunComfySimulator;
  let downSim: RunComfySimulator;
  let frames: { start: string; end: string };
  const dirs: (() => void)[] = [];

  beforeAll(async () => {
    sim = await startSim();
    downSim = await startSim({ price: { down: true } });
    frames = await keyframes(sim);
  });
  afterAll(async () => {
    await sim.stop();
    await downSim.stop();
    dirs.forEach((d) => d());
  });

  async function connect(
    env: Record<string, string> = {},
    o: { sim?: RunComfySimulator; dir?: string; client?: ReturnType<typeof newClient> } = {},
  ): Promise<Connected & { dir: string }> {
    let dir = o.dir;
    if (!dir) {
      const tmp = tempDir();
      dirs.push(tmp.cleanup);
      dir = tmp.dir;
    }
    const c = await connectInMemory(simEnv(o.sim ?? sim, dir, env), undefined, o.client);
    return { ...c, dir };
  }

  const clip = (extra: Record<string, unknown> = {}) => ({ prompt: '@Image1 to @Image2', start_image_url: frames.start, end_image_url: frames.end, ...extra });

  it('states the expected cost, then what RunComfy charged; records the charge; list_jobs shows the spend', async () => {
    const c = await connect();
    try {
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
    } finally {
      await c.close();
    }
  });

  it('KLING_MCP_PRICE_PER_SECOND_USD overrides the published price', async () => {
    const c = await connect({ KLING_MCP_PRICE_PER_SECOND_USD: '0.2' });
    try {
      const r = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
      expect(r.structuredContent!.cost!.estimate_usd).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('a price endpoint that is down leaves the cost unknown, and under a cap nothing is submitted blind', async () => {
    const open = await connect({}, { sim: downSim });
    const downFrames = await keyframes(downSim);
    const args = { prompt: 'p', start_image_url: downFrames.start, end_image_url: downFrames.end, wait_seconds: 0 };
    try {
      const r = await call(open.client, 'generate_video', args);
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent!.cost).toBeUndefined();
    } finally {
      await open.close();
    }
    const capped = await connect({ KLING_MCP_SPEND_LIMIT_USD: '10' }, { sim: downSim });
    try {
      const before = downSim.submissions;
      const r = await call(capped.client, 'generate_video', args);
      expect(r).toBeToolError('price_unknown');
      expect(textOf(r)).toMatch(/KLING_MCP_SPEND_LIMIT_USD is set.*KLING_MCP_PRICE_PER_SECOND_USD/s);
      expect(downSim.submissions).toBe(before);
    } finally {
      await capped.close();
    }
  });

  it('the spend limit refuses before anything is sent, naming the variable, the spend so far and the cost', async () => {
    const c = await connect({ KLING_MCP_SPEND_LIMIT_USD: '1.00' });
    try {
      const first = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
      expect(first.isError).toBeFalsy();
      const before = sim.submissions;
      const r = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
      expect(r).toBeToolError('spend_limit');
      expect(textOf(r)).toMatch(/KLING_MCP_SPEND_LIMIT_USD=\$1\.00/);
      expect(textOf(r)).toMatch(/already \$0\.56/);
      expect(textOf(r)).toMatch(/cost about \$0\.56/);
      expect(sim.submissions).toBe(before);
    } finally {
      await c.close();
    }
  });

  it('the limit holds across two server processes sharing one ledger, even when they submit at the same moment', async () => {
    const tmp = tempDir();
    dirs.push(tmp.cleanup);
    const env = { KLING_MCP_SPEND_LIMIT_USD: '1.20' };
    const a = await connectStdio(simEnv(sim, tmp.dir, env));
    const b = await connect(env, { dir: tmp.dir });
    try {
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
    } finally {
      await a.close();
      await b.close();
    }
  });

  describe('confirmation for big spends (KLING_MCP_CONFIRM_ABOVE_USD)', () => {
    async function withAnswer(action: 'accept' | 'decline' | 'cancel', confirm = true) {
      const client = newClient({ elicitation: {} });
      const asked: string[] = [];
      client.setRequestHandler(ElicitRequestSchema, async (req) => {
        asked.push(req.params.message);
        return action === 'accept' ? { action, content: { confirm } } : { action };
      });
      const c = await connect({ KLING_MCP_CONFIRM_ABOVE_USD: '0.50' }, { client });
      const before = sim.submissions;
      try {
        const r = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
        return { r, asked, submitted: sim.submissions - before };
      } finally {
        await c.close();
      }
    }

    it('accept submits, after showing the cost and what will be made', async () => {
      const { r, asked, submitted } = await withAnswer('accept');
      expect(r.isError).toBeFalsy();
      expect(submitted).toBe(1);
      expect(asked[0]).toMatch(/a 5 s clip.*about \$0\.56/);
    });

    it.each(['decline', 'cancel'] as const)('%s submits nothing', async (action) => {
      const { r, submitted } = await withAnswer(action);
      expect(r).toBeToolError('declined');
      expect(textOf(r)).toMatch(/Nothing was submitted/);
      expect(submitted).toBe(0);
    });

    it('an accepted form with the box unticked is a no', async () => {
      const { submitted } = await withAnswer('accept', false);
      expect(submitted).toBe(0);
    });

    it('a spend the limit would refuse is refused without asking first', async () => {
      const client = newClient({ elicitation: {} });
      let asked = 0;
      client.setRequestHandler(ElicitRequestSchema, async () => {
        asked++;
        return { action: 'accept', content: { confirm: true } };
      });
      const c = await connect({ KLING_MCP_CONFIRM_ABOVE_USD: '0.10', KLING_MCP_SPEND_LIMIT_USD: '0.50' }, { client });
      try {
        const before = sim.submissions;
        const r = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
        expect(r).toBeToolError('spend_limit');
        expect(asked).toBe(0);
        expect(sim.submissions).toBe(before);
      } finally {
        await c.close();
      }
    });

    it('a small spend is not asked about, and a client without elicitation gets a quote instead (test/quote.test.ts)', async () => {
      const client = newClient({ elicitation: {} });
      let asked = 0;
      client.setRequestHandler(ElicitRequestSchema, async () => {
        asked++;
        return { action: 'accept', content: { confirm: true } };
      });
      const small = await connect({ KLING_MCP_CONFIRM_ABOVE_USD: '2' }, { client });
      try {
        expect((await call(small.client, 'generate_video', clip({ wait_seconds: 0 }))).isError).toBeFalsy();
        expect(asked).toBe(0);
      } finally {
        await small.close();
      }
      const plain = await connect({ KLING_MCP_CONFIRM_ABOVE_USD: '0.10' });
      try {
        const before = sim.submissions;
        expect(await call(plain.client, 'generate_video', clip({ wait_seconds: 0 }))).toBeToolError('confirmation_required');
        expect(sim.submissions - before).toBe(0);
      } finally {
        await plain.close();
      }
    });
  });
});
