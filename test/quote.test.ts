/**
 * Confirmation where the client cannot ask (no elicitation, like Claude Desktop): a big spend answers with a quote
 * and submits nothing; the same call with the quote's confirm_quote goes ahead once. Reused, expired and mismatched
 * tokens are refused with nothing submitted. Time is the virtual clock, so "five minutes later" takes no time.
 */
import { describe, expect } from 'vitest';
import { QUOTE_TTL_MS } from '../src/costs/quote.js';
import { ERROR_META_KEY } from '../src/calls/respond.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, textOf, type ToolResult } from './helpers.js';
import { labTest } from './lab.js';

const tokenOf = (r: ToolResult<unknown>) => (r._meta?.[ERROR_META_KEY] as { confirm_quote?: string } | undefined)?.confirm_quote;

const clock = new VirtualClock();
const it = labTest({ clock, env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.50' } })
  .extend('clip', ({ frames }) => (extra: Record<string, unknown> = {}) => ({
    prompt: '@Image1 to @Image2',
    start_image_url: frames.start,
    end_image_url: frames.end,
    wait_seconds: 0,
    ...extra,
  }))
  /** Calls the shared server and says how many jobs reached RunComfy meanwhile. */
  .extend('submitting', ({ sim, shared }) => async (name: 'generate_video' | 'generate_storyboard', args: Record<string, unknown>) => {
    const before = sim.submissions;
    const r = await call(shared.client, name, args);
    return { r, submitted: sim.submissions - before };
  });

describe('quotes for clients without elicitation (KLING_MCP_CONFIRM_ABOVE_USD)', () => {
  it('the first call answers with the quote (what, price, spend so far, token) and submits nothing; the confirmed call submits once', async ({
    submitting,
    clip,
  }) => {
    const first = await submitting('generate_video', clip());
    expect(first.r).toBeToolError('confirmation_required');
    expect(first.submitted).toBe(0);
    const text = textOf(first.r);
    expect(text).toMatch(
      /Nothing was submitted\. Quote: a 5 s clip for about \$0\.56, 1 paid job\(s\) \(prices: Kling O1 \$0\.112\/second \(RunComfy's model page\)\); spend so far \$0\.00 over the last 24 h/,
    );
    expect(text).toContain('above $0.50 (KLING_MCP_CONFIRM_ABOVE_USD)');
    const token = tokenOf(first.r)!;
    expect(text).toContain(`confirm_quote: "${token}"`);

    // Waiting (wait_seconds) is not what was priced: a confirmed call may wait differently.
    const second = await submitting('generate_video', clip({ confirm_quote: token, wait_seconds: 1 }));
    expect(second.r.isError, textOf(second.r)).toBeFalsy();
    expect(second.submitted).toBe(1);

    const again = await submitting('generate_video', clip({ confirm_quote: token }));
    expect(again.r).toBeToolError('confirmation_required');
    expect(textOf(again.r)).toMatch(/not an open quote of this server \(already used/);
    expect(again.submitted).toBe(0);
    // The refusal carries a fresh quote, and its spend so far now counts the clip just made.
    expect(textOf(again.r)).toContain('spend so far $0.56');
    expect(tokenOf(again.r)).not.toBe(token);
  });

  it('a token for other inputs is refused, and used up', async ({ submitting, clip }) => {
    const token = tokenOf((await submitting('generate_video', clip())).r)!;
    const other = await submitting('generate_video', clip({ prompt: '@Image1 somewhere else until @Image2', confirm_quote: token }));
    expect(other.r).toBeToolError('confirmation_required');
    expect(textOf(other.r)).toContain('issued for other inputs or another price');
    expect(other.submitted).toBe(0);
    const back = await submitting('generate_video', clip({ confirm_quote: token }));
    expect(back.r).toBeToolError('confirmation_required');
    expect(back.submitted).toBe(0);
  });

  it('a token past its few minutes (on the server clock) is refused', async ({ submitting, clip }) => {
    const token = tokenOf((await submitting('generate_video', clip({ duration: 10 }))).r)!;
    await clock.sleep(QUOTE_TTL_MS + 1);
    const late = await submitting('generate_video', clip({ duration: 10, confirm_quote: token }));
    expect(late.r).toBeToolError('confirmation_required');
    expect(textOf(late.r)).toContain('has expired (a quote holds for 5 minutes)');
    expect(late.submitted).toBe(0);
  });

  it('a storyboard above the threshold is quoted whole, and its token plans and submits every shot once', async ({ submitting, frames, shared: c }) => {
    const shots = [1, 2].map(() => ({ prompt: '@Image1 to @Image2', start_image_url: frames.start, end_image_url: frames.end }));
    const first = await submitting('generate_storyboard', { shots, wait_seconds: 0, stitch: false });
    expect(first.r).toBeToolError('confirmation_required');
    expect(textOf(first.r)).toContain('Quote: a 2-shot storyboard (10 s of video) for about $1.12, 2 paid job(s)');
    expect(first.submitted).toBe(0);
    expect((await c.app.ledger.boards({ limit: 1 })).items).toHaveLength(0);
    const second = await submitting('generate_storyboard', { shots, wait_seconds: 0, stitch: false, confirm_quote: tokenOf(first.r) });
    expect(second.r.isError, textOf(second.r)).toBeFalsy();
    expect(second.submitted).toBe(2);
  });
});

const processes = labTest({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '0.10' } });

describe('quotes over stdio (the shipped bin)', () => {
  processes('a quote from one server process is honoured once by the next (clients that start a server per call, restarts)', async ({ sim, frames, spawn }) => {
    const args = { prompt: '@Image1 to @Image2', start_image_url: frames.start, end_image_url: frames.end, wait_seconds: 0 };
    const first = await spawn();
    const quoted = await call(first.client, 'generate_video', args);
    await first.close();
    expect(quoted).toBeToolError('confirmation_required');
    expect(sim.submissions).toBe(0);
    const second = await spawn();
    const confirmed = await call(second.client, 'generate_video', { ...args, confirm_quote: tokenOf(quoted) });
    expect(confirmed.isError, textOf(confirmed)).toBeFalsy();
    expect(sim.submissions).toBe(1);
    const again = await call(second.client, 'generate_video', { ...args, confirm_quote: tokenOf(quoted) });
    expect(again).toBeToolError('confirmation_required');
    expect(sim.submissions).toBe(1);
  });
});
