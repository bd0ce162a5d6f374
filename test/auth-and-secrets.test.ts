import { describe, expect } from 'vitest';
import { SIM_TOKEN } from '../src/simulator/simulator.js';
import { call, textOf } from './helpers.js';
import { labTest } from './lab.js';

const it = labTest();

describe('tokens: missing, wrong, and never leaked', () => {
  it('without a token the server starts, lists its tools, and every upstream tool explains how to set it', async ({ frames, spawn }) => {
    const c = await spawn({ env: { RUNCOMFY_API_TOKEN: undefined } });
    const { tools } = await c.client.listTools();
    expect(tools).toHaveLength(10);
    for (const [name, args] of [
      ['generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end }],
      ['check_status', { request_id: 'abc' }],
      ['get_result', { request_id: 'abc' }],
      ['cancel', { request_id: 'abc' }],
      ['generate_storyboard', { shots: [{ prompt: 'p', start_image_url: frames.start, end_image_url: frames.end }] }],
      ['get_storyboard', { storyboard_id: 'sb-abcdef123' }],
      ['generate_keyframes', { keyframes: [{ prompt: 'p' }] }],
      ['generate_soundtrack', { prompt: 'p', seconds: 10 }],
      ['revise_storyboard', { storyboard_id: 'sb-abcdef123', shots: [{ prompt: 'p', start_image_url: frames.start, end_image_url: frames.end }] }],
    ] as const) {
      const r = await call(c.client, name, args);
      expect(r, name).toBeToolError('missing_token');
      expect(textOf(r)).toMatch(/RUNCOMFY_API_TOKEN is not set/);
    }
    const list = await call(c.client, 'list_jobs', {});
    expect(list.isError).toBeFalsy();
  });

  it('a wrong token names RUNCOMFY_API_TOKEN, not its value, and nothing is billed', async ({ sim, frames, connect }) => {
    const wrong = 'wrong-token-do-not-print-7781';
    const c = await connect({ env: { RUNCOMFY_API_TOKEN: wrong } });
    const before = sim.submissions;
    const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end });
    expect(r).toBeToolError('unauthorized');
    expect(textOf(r)).toContain('RUNCOMFY_API_TOKEN');
    expect(JSON.stringify(r)).not.toContain(wrong);
    expect(sim.submissions).toBe(before);
  });

  it('over stdio, the token appears in no tool output, notification or stderr line — even when upstream echoes it', async ({ sim, frames, spawn }) => {
    const c = await spawn({ env: { KLING_MCP_LOG_LEVEL: 'debug' } });
    const seen: string[] = [];
    c.client.fallbackNotificationHandler = async (n) => {
      seen.push(JSON.stringify(n));
    };
    await c.client.setLoggingLevel('debug');
    const token = SIM_TOKEN;
    const ok = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: frames.start, end_image_url: frames.end }, (p) =>
      seen.push(JSON.stringify(p)),
    );
    seen.push(JSON.stringify(ok));
    expect(ok.structuredContent?.status).toBe('completed');
    sim.inject({ route: 'status', status: 400, body: JSON.stringify({ detail: `bad header: Bearer ${token}` }) });
    const echoed = await call(c.client, 'check_status', { request_id: ok.structuredContent!.request_id });
    seen.push(JSON.stringify(echoed));
    expect(echoed.isError).toBe(true);
    expect(textOf(echoed)).toContain('[redacted]');
    const all = seen.join('\n') + c.stderr();
    expect(all.length).toBeGreaterThan(100);
    expect(all).not.toContain(token);
  });
});
