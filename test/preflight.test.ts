import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { call, image, tempDir, textOf } from './helpers.js';
import { useLab } from './lab.js';

/** A PNG of at least `bytes` bytes: random pixels do not compress. */
async function bigPng(bytes: number): Promise<Buffer> {
  const side = Math.ceil(Math.sqrt(bytes / 3)) + 16;
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

describe('pre-flight image checks: the seed rules, exact texts, nothing submitted', () => {
  const lab = useLab();
  let good: string;

  beforeAll(async () => {
    good = lab.sim.host('good.png', await image(640, 360), 'image/png');
  });

  async function expectRejected(end: string, expected: string | RegExp) {
    const before = lab.sim.submissions;
    const posts = lab.sim.count('submit');
    const r = await call(lab.c.client, 'generate_video', { prompt: 'p', start_image_url: good, end_image_url: end });
    expect(r.isError).toBe(true);
    if (typeof expected === 'string') expect(textOf(r)).toContain(expected);
    else expect(textOf(r)).toMatch(expected);
    expect(textOf(r)).toContain('Nothing was submitted');
    expect(lab.sim.submissions).toBe(before);
    expect(lab.sim.count('submit')).toBe(posts);
    return r;
  }

  it('file size ≥ 10 MB', async () => {
    const url = lab.sim.host('big.png', await bigPng(10.5 * 1024 * 1024), 'image/png');
    await expectRejected(url, /^end_image_url: File size must be less than 10 MB\. \(got (more than )?1\d\.\d\d MiB\)$/m);
  });

  it('width ≤ 300', async () => {
    await expectRejected(
      lab.sim.host('narrow.png', await image(300, 400)),
      'end_image_url: The uploaded image width and height must exceed 300 pixels. (got width 300 px)',
    );
  });

  it('height ≤ 300', async () => {
    await expectRejected(
      lab.sim.host('short.png', await image(400, 250)),
      'end_image_url: The uploaded image width and height must exceed 300 pixels. (got height 250 px)',
    );
  });

  it('aspect ratio ≥ 2.50', async () => {
    await expectRejected(lab.sim.host('wide.png', await image(1200, 320)), 'end_image_url: The aspect ratio range should be between 0.40 and 2.50. (got 3.75)');
  });

  it('aspect ratio ≤ 0.40', async () => {
    await expectRejected(lab.sim.host('tall.png', await image(320, 1000)), 'end_image_url: The aspect ratio range should be between 0.40 and 2.50. (got 0.32)');
  });

  it('reports every problem of both images at once', async () => {
    const before = lab.sim.submissions;
    const r = await call(lab.c.client, 'generate_video', {
      prompt: 'p',
      start_image_url: lab.sim.host('s1.png', await image(200, 200)),
      end_image_url: lab.sim.host('s2.png', await image(1200, 320)),
    });
    const text = textOf(r);
    expect(text).toContain('start_image_url: The uploaded image width and height must exceed 300 pixels. (got width 200 px)');
    expect(text).toContain('start_image_url: The uploaded image width and height must exceed 300 pixels. (got height 200 px)');
    expect(text).toContain('end_image_url: The aspect ratio range should be between 0.40 and 2.50. (got 3.75)');
    expect(lab.sim.submissions).toBe(before);
  });

  it('every accepted format passes (jpeg, png, webp, gif, avif)', async () => {
    for (const fmt of ['jpeg', 'webp', 'gif', 'avif'] as const) {
      const url = lab.sim.host(`ok.${fmt}`, await image(640, 480, fmt), `image/${fmt}`);
      const r = await call(lab.c.client, 'generate_video', { prompt: 'p', start_image_url: url, end_image_url: good, wait_seconds: 0 });
      expect(r.isError, `${fmt}: ${textOf(r)}`).toBeFalsy();
      expect(r.structuredContent!.checks!.start_image_url.format).toBe(fmt);
    }
  });

  it('an unsupported format is named, judged by its bytes', async () => {
    await expectRejected(
      lab.sim.host('disguised.png', await image(640, 480, 'tiff'), 'image/png'),
      /end_image_url: the file is a TIFF image .*jpg, jpeg, png, webp, gif, avif/,
    );
  });

  it('a page that is not an image', async () => {
    await expectRejected(
      lab.sim.host('page.png', Buffer.from('<html>hello</html>'), 'text/html'),
      /end_image_url: this URL does not serve an image.*text\/html/,
    );
  });

  it('an unreachable URL (404) and a dead host', async () => {
    await expectRejected(`${lab.sim.url}/files/missing.png`, /end_image_url: fetching .* answered HTTP 404/);
    await expectRejected('http://127.0.0.1:9/x.png', /end_image_url: could not fetch .*ECONNREFUSED/);
  });

  it('wrong argument types and duration 7 are rejected before anything runs', async () => {
    const posts = lab.sim.count('submit');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ prompt: 'p', start_image_url: good, end_image_url: good, duration: 7 }, /duration 7 is not a length Kling O1 makes: it makes 5 or 10 seconds/],
      [{ prompt: 'p', start_image_url: good, end_image_url: good, duration: '5' }, /duration must be a number of seconds/],
      [{ prompt: 42, start_image_url: good, end_image_url: good }, /prompt must be a string/],
      [{ prompt: 'p', start_image_url: 3, end_image_url: good }, /start_image_url must be a string/],
      [{ prompt: 'p', end_image_url: good }, /start_image_url/],
      [{ prompt: '   ', start_image_url: good, end_image_url: good }, /prompt is empty/],
      [{ prompt: 'p', start_image_url: good, end_image_url: good, wait_seconds: -1 }, /wait_seconds cannot be negative/],
    ];
    for (const [args, msg] of cases) {
      const r = await call(lab.c.client, 'generate_video', args);
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(r)).toMatch(msg);
    }
    expect(lab.sim.count('submit')).toBe(posts);
  });
});

describe('pre-flight of local images: the same rules and texts as URLs', () => {
  const folder = tempDir('kling-frames-');
  const lab = useLab({ env: { KLING_MCP_IMAGE_DIRS: folder.dir } });
  let good: string;
  afterAll(() => folder.cleanup());

  beforeAll(async () => {
    good = lab.sim.host('good.png', await image(640, 360), 'image/png');
  });

  async function local(name: string, bytes: Buffer): Promise<string> {
    const file = path.join(folder.dir, name);
    writeFileSync(file, bytes);
    return file;
  }

  it.each([
    ['a path', (file: string) => file],
    ['a file:// URL', (file: string) => pathToFileURL(file).href],
  ])('as %s, every rule the seed has, with its text and the measured value', async (_name, ref) => {
    const before = lab.sim.submissions;
    const r = await call(lab.c.client, 'generate_video', {
      prompt: 'p',
      start_image_url: ref(await local('small.png', await image(200, 250))),
      end_image_url: ref(await local('wide.webp', await image(1200, 320, 'webp'))),
    });
    expect(r.isError).toBe(true);
    expect(textOf(r).split('\n').slice(0, 4)).toEqual([
      'start_image_url: The uploaded image width and height must exceed 300 pixels. (got width 200 px)',
      'start_image_url: The uploaded image width and height must exceed 300 pixels. (got height 250 px)',
      'end_image_url: The aspect ratio range should be between 0.40 and 2.50. (got 3.75)',
      'Nothing was submitted; fix the image(s) and call again.',
    ]);
    expect(lab.sim.submissions).toBe(before);
  });

  it('as a data: URI, the same', async () => {
    const wide = await image(1200, 320);
    const r = await call(lab.c.client, 'generate_video', {
      prompt: 'p',
      start_image_url: good,
      end_image_url: `data:image/png;base64,${wide.toString('base64')}`,
    });
    expect(textOf(r)).toContain('end_image_url: The aspect ratio range should be between 0.40 and 2.50. (got 3.75)');
  });

  it('one bad image in both fields is checked once and reported once, naming both fields', async () => {
    const file = await local('tall.png', await image(320, 1000));
    const r = await call(lab.c.client, 'generate_video', { prompt: 'p', start_image_url: file, end_image_url: file });
    expect(textOf(r)).toMatch(/^start_image_url, end_image_url: The aspect ratio range should be between 0\.40 and 2\.50\. \(got 0\.32\)$/m);
  });

  it('one URL in both fields is fetched once for the check', async () => {
    const url = lab.sim.host('both.png', await image(640, 360), 'image/png');
    const r = await call(lab.c.client, 'generate_video', { prompt: 'p', start_image_url: url, end_image_url: url, wait_seconds: 0 });
    expect(r.isError, textOf(r)).toBeFalsy();
    // The simulator fetches each field itself afterwards, as RunComfy does; those are not ours.
    const ours = lab.sim.requests.filter((q) => q.path === '/files/both.png' && q.userAgent?.includes('pre-flight'));
    expect(ours).toHaveLength(1);
  });
});
