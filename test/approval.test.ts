/**
 * The approval path on its own, with work that is not a clip: images priced
 * per image, music priced per output, a model whose price is unknown. The
 * tools' own runs of it (clips, boards, revisions, resubmissions, quotes across
 * processes) are in costs.test.ts, quote.test.ts, storyboard.test.ts and revise.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Approval, type Confirmation } from '../src/costs/approval.js';
import type { ModelPrice } from '../src/costs/price.js';
import type { KlingError } from '../src/errors.js';
import { defineModel } from '../src/models/define.js';
import type { AnyModel, PriceRule } from '../src/models/model.js';
import { VirtualClock } from '../src/util/clock.js';

/** A test-only model of one kind, priced by `price`, with a prompt and a count of images. */
function model(id: string, makes: 'image' | 'audio', price: PriceRule<{ prompt: string; num_images?: number }>): AnyModel {
  const schema = { type: 'object', required: ['prompt'], properties: { prompt: { type: 'string' }, num_images: { type: 'integer', minimum: 1 } } } as const;
  return defineModel({
    id,
    key: id.replace('/', '-'),
    title: `Test ${id.split('/')[1]}`,
    name: id,
    schema,
    makes,
    price,
    media: {},
    expectedRunMs: 1_000,
    simulator: {
      price: { base_price_usd: 1, price_unit: price.unit },
      timing: () => ({ queueMs: 1, runMs: 1 }),
      makes: { kind: 'audio', audio: () => ({ seconds: 1 }) },
    },
  });
}
const IMAGES = model('test/images', 'image', { unit: 'image', units: (i) => i.num_images ?? 1 });
const MUSIC = model('test/music', 'audio', { unit: 'output', units: () => 1 });
const UNPRICED = model('test/unpriced', 'audio', { unit: 'output', units: () => 1 });
const PRICES: Record<string, ModelPrice> = {
  [IMAGES.id]: { unit: 'image', usd: 0.04, source: 'test' },
  [MUSIC.id]: { unit: 'output', usd: 0.5, source: 'test' },
};

/** An approval over an empty ledger, with `spentUsd` already spent in the window; quotes kept in memory. */
function approval(settings: { spendLimitUsd?: number; confirmAboveUsd?: number } = {}, spentUsd = 0) {
  const asked: string[] = [];
  const quotes = new Map<string, { fingerprint: string; expiresAt: number }>();
  const priceAsks: string[] = [];
  const a = new Approval({
    prices: {
      current: async (m) => {
        priceAsks.push(m.id);
        return PRICES[m.id];
      },
    },
    ledger: {
      spendSources: async () => ({ jobs: { usd: spentUsd, jobs: spentUsd > 0 ? 1 : 0, unpriced: 0 }, pending: [], boards: [] }),
      putQuote: async (token, quote) => void quotes.set(token, quote),
      takeQuote: async (token) => {
        const q = quotes.get(token);
        quotes.delete(token);
        return q;
      },
    },
    clock: new VirtualClock(),
    settings: { spendLimitUsd: settings.spendLimitUsd, confirmAboveUsd: settings.confirmAboveUsd ?? 1 },
  });
  const ask = (answer: Confirmation) => ({
    ask: async (message: string) => {
      asked.push(message);
      return answer;
    },
  });
  return { a, asked, ask, priceAsks };
}

const images = (n: number) => ({ model: IMAGES, input: { prompt: `${n} keyframes`, num_images: n } });
const track = { model: MUSIC, input: { prompt: 'a theme' } };

describe('the approval path', () => {
  it('prices each job in its own unit: per image by count, per output once; each model is asked once', async () => {
    const { a, priceAsks } = approval();
    const { items, totalUsd } = await a.approve('keyframes and a soundtrack', [images(4), images(2), track], undefined);
    expect(items.map((i) => i.estimateUsd)).toEqual([0.16, 0.08, 0.5]);
    expect(totalUsd).toBe(0.74);
    expect(priceAsks.sort()).toEqual([IMAGES.id, MUSIC.id]);
  });

  it('an estimate the work carries is kept, not priced again; nothing to approve asks nothing, not even the price', async () => {
    const { a, priceAsks } = approval();
    expect((await a.approve('reserved work', [{ ...track, estimateUsd: 0.3 }], undefined)).totalUsd).toBe(0.3);
    expect(await a.approve('nothing', [], undefined)).toEqual({ items: [], totalUsd: 0 });
    expect(priceAsks).toEqual([]);
  });

  it('asks about a big spend, naming the models that would make it; a no submits nothing', async () => {
    const { a, asked, ask } = approval({ confirmAboveUsd: 0.5 });
    await a.approve('keyframes and a soundtrack', [images(4), track], ask('accept'));
    expect(asked[0]).toMatch(/^Submit keyframes and a soundtrack to Test images and Test music for about \$0\.66\? That is 2 paid job\(s\)/);
    await expect(a.approve('keyframes', [images(20)], ask('decline'))).rejects.toMatchObject({ code: 'declined' });
    // Small work is not asked about.
    await a.approve('one image', [images(1)], ask('decline'));
    expect(asked).toHaveLength(2);
  });

  it('an unknown price is asked about for more than one job, and refused under a spend limit', async () => {
    const { a, asked, ask } = approval();
    const unknown = (n: number) => ({ model: UNPRICED, input: { prompt: `job ${n}` } });
    const { totalUsd } = await a.approve('two unpriced jobs', [unknown(1), unknown(2)], ask('accept'));
    expect(totalUsd).toBeUndefined();
    expect(asked[0]).toMatch(/at a price RunComfy did not publish \(unknown\)/);
    const limited = approval({ spendLimitUsd: 10 });
    await expect(limited.a.approve('an unpriced job', [unknown(1)], undefined)).rejects.toMatchObject({ code: 'price_unknown' });
  });

  it('the spend limit refuses before anyone is asked, counting what the window already holds', async () => {
    const { a, asked, ask } = approval({ spendLimitUsd: 1, confirmAboveUsd: 0.1 }, 0.8);
    await expect(a.approve('a soundtrack', [track], ask('accept'))).rejects.toMatchObject({ code: 'spend_limit' });
    expect(asked).toEqual([]);
    await a.approve('three images', [images(3)], ask('accept'));
    expect(asked).toHaveLength(1);
  });

  it('a client that cannot ask gets a quote; the token approves exactly that work, once', async () => {
    const { a } = approval({ confirmAboveUsd: 0.1 });
    const quote = (token?: string) => ({ quote: { tool: 'generate_keyframes', token } });
    /** The token of the quote a call is answered with. */
    const quoted = (what: string, n: number) =>
      a.approve(what, [images(n)], quote()).then(
        () => expect.fail('no quote'),
        (e: KlingError) => e.extra.quote!.token,
      );
    const first = await a.approve('four images', [images(4)], quote()).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'confirmation_required', extra: { quote: { estimateUsd: 0.16 } } });
    const token = (first as KlingError).extra.quote!.token;
    expect((first as Error).message).toContain(`confirm_quote: "${token}"`);
    await expect(a.approve('four images', [images(4)], quote(token))).resolves.toMatchObject({ totalUsd: 0.16 });
    await expect(a.approve('four images', [images(4)], quote(token))).rejects.toMatchObject({
      code: 'confirmation_required',
      message: expect.stringMatching(/not an open quote/),
    });
    const other = await quoted('four images', 4);
    await expect(a.approve('five images', [images(5)], quote(other))).rejects.toMatchObject({
      message: expect.stringMatching(/other inputs or another price/),
    });
  });
});
