import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { LEDGER_DB } from '../src/ledger/sqlite/ledger.js';
import { isInside } from '../src/preflight/allowed-folders.js';
import { ImageFetcher } from '../src/preflight/fetch-image.js';
import { checkFrames, MAX_CONCURRENT_IMAGE_CHECKS } from '../src/preflight/frames.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { errorBody, type RunComfySimulator } from '../src/simulator/simulator.js';
import { call, connectInMemory, image, newClient, simEnv, startSim, tempDir, textOf, type Connected } from './helpers.js';
import { labTest } from './lab.js';

const lab = labTest();

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dataUri = (mime: string, b: Buffer) => `data:${mime};base64,${b.toString('base64')}`;

/** Everything a test needs to see that a refused call cost nothing. */
function counters(sim: RunComfySimulator) {
  const before = { posts: sim.count('submit'), jobs: sim.submissions };
  return () => {
    expect(sim.count('submit')).toBe(before.posts);
    expect(sim.submissions).toBe(before.jobs);
  };
}

describe('local keyframes: paths, file:// URLs and data: URIs', () => {
  let sim: RunComfySimulator;
  let tmp: ReturnType<typeof tempDir>;
  let c: Connected;
  let off: Connected;
  let allowed: string;
  let outside: string;
  let png: Buffer;
  let end: string;

  beforeAll(async () => {
    sim = await startSim();
    tmp = tempDir();
    allowed = path.join(tmp.dir, 'frames');
    outside = path.join(tmp.dir, 'elsewhere');
    mkdirSync(allowed);
    mkdirSync(outside);
    png = await image(640, 360, 'png', '#aa3377');
    writeFileSync(path.join(allowed, 'start.png'), png);
    end = sim.host('end.png', await image(640, 360), 'image/png');
    c = await connectInMemory(simEnv(sim, tmp.dir, { KLING_MCP_IMAGE_DIRS: allowed }));
    off = await connectInMemory(simEnv(sim, path.join(tmp.dir, 'off'), { KLING_MCP_IMAGE_DIRS: allowed, KLING_MCP_LOCAL_IMAGES: '0' }));
  });
  afterAll(async () => {
    await c.close();
    await off.close();
    await sim.stop();
    tmp.cleanup();
  });

  async function submitted(start: string): Promise<{ id: string; sent: string }> {
    const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: start, end_image_url: end, wait_seconds: 0 });
    expect(r.isError, textOf(r)).toBeFalsy();
    const id = r.structuredContent!.request_id as string;
    return { id, sent: String(sim.jobs.get(id)!.input.start_image_url) };
  }

  it.each([
    ['an absolute path', () => path.join(allowed, 'start.png')],
    ['a file:// URL', () => pathToFileURL(path.join(allowed, 'start.png')).href],
    ['a data: URI', () => dataUri('image/png', png)],
  ])('%s reaches RunComfy as a data: URI of the identical bytes; the URL frame is sent as it is', async (_name, ref) => {
    const { id, sent } = await submitted(ref());
    expect(sent).toBe(dataUri('image/png', png));
    expect(sim.jobs.get(id)!.input.end_image_url).toBe(end);
  });

  it('judges the mime type from the bytes, not from the name or the data: header', async () => {
    const jpeg = await image(640, 360, 'jpeg');
    writeFileSync(path.join(allowed, 'really-a-jpeg.png'), jpeg);
    expect((await submitted(path.join(allowed, 'really-a-jpeg.png'))).sent).toBe(dataUri('image/jpeg', jpeg));
    const webp = await image(640, 360, 'webp');
    expect((await submitted(dataUri('image/png', webp))).sent).toBe(dataUri('image/webp', webp));
  });

  it('the ledger keeps the path, or a digest of a data: URI, and the sha256 of what was sent; never base64', async () => {
    const file = path.join(allowed, 'start.png');
    const a = await submitted(file);
    const b = await submitted(dataUri('image/png', png));
    const jobA = await c.app.ledger.job(a.id);
    expect(jobA!.input!.start_image_url).toBe(file);
    expect(jobA!.input!.end_image_url).toBe(end);
    expect(jobA!.input!.image_sha256).toEqual({ start_image_url: sha256(png), end_image_url: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const jobB = await c.app.ledger.job(b.id);
    expect(jobB!.input!.start_image_url).toBe(`data:image/png;sha256=${sha256(png)}`);
    // The database and its write-ahead log, where recent writes sit until a checkpoint.
    const ledger = ['', '-wal'].map((x) => readFileSync(path.join(tmp.dir, 'state', LEDGER_DB + x), 'latin1')).join('');
    expect(ledger).not.toContain(';base64,');
    expect(ledger).not.toContain(png.toString('base64').slice(0, 64));
  });

  it('the structured answer reports what was measured of a local file', async () => {
    const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: path.join(allowed, 'start.png'), end_image_url: end, wait_seconds: 0 });
    expect(r.structuredContent!.checks!.start_image_url).toEqual({ format: 'png', mime: 'image/png', width: 640, height: 360, bytes: png.length });
  });

  describe('refused, with a clear text and zero submissions', () => {
    const cases: [string, () => string | Promise<string>, RegExp][] = [
      [
        'a file outside the allowed folders',
        () => write(path.join(outside, 'a.png'), png),
        /start_image_url: .*elsewhere[\\/]a\.png is outside the folders this server may read images from: .*frames \(KLING_MCP_IMAGE_DIRS\)/,
      ],
      [
        'a folder whose name only starts like an allowed one',
        () => write(`${allowed}-evil${path.sep}a.png`, png),
        /is outside the folders this server may read images from/,
      ],
      ['a path that climbs out with ..', () => path.join(allowed, '..', 'elsewhere', 'a.png'), /elsewhere[\\/]a\.png is outside the folders/],
      [
        'a symlink inside that leads outside',
        () => link(path.join(outside, 'b.png'), path.join(allowed, 'escape.png')),
        /escape\.png \(a link to .*elsewhere[\\/]b\.png\) is outside the folders/,
      ],
      [
        'a symlinked folder inside that leads outside',
        () => linkDir(outside, path.join(allowed, 'linked')).then((d) => path.join(d, 'a.png')),
        /\(a link to .*elsewhere[\\/]a\.png\) is outside the folders/,
      ],
      ['a missing file outside (its existence is not revealed)', () => path.join(outside, 'nothing.png'), /is outside the folders/],
      ['a missing file inside', () => path.join(allowed, 'nothing.png'), /nothing\.png: there is no such file/],
      [
        'a text file named .png',
        () => write(path.join(allowed, 'notes.png'), Buffer.from('not an image at all')),
        /notes\.png is not an image that can be read \(19 bytes\)\. Accepted file types/,
      ],
      ['an empty file', () => write(path.join(allowed, 'empty.png'), Buffer.alloc(0)), /empty\.png is an empty file, not an image/],
      [
        'an 11 MB file',
        () => write(path.join(allowed, 'big.png'), Buffer.alloc(11 * 1024 * 1024, 1)),
        /start_image_url: File size must be less than 10 MB\. \(got 11\.00 MiB\)/,
      ],
      [
        'a sparse 2 GB file (never read into memory)',
        () => sparse(path.join(allowed, 'huge.png'), 2 * 1024 ** 3),
        /File size must be less than 10 MB\. \(got 2048\.00 MiB\)/,
      ],
      ['a directory', () => allowed, /frames is a folder; give the path of an image file in it/],
      ['a relative path', () => 'frames/start.png', /"frames\/start\.png" is a relative path.*Give an absolute path/],
      ['a bare file name', () => 'start.png', /"start\.png" is a relative path/],
      ['a file:// URL of another host', () => 'file://fileserver/share/a.png', /is not a file:\/\/ URL of this machine/],
      ['a data: URI that is not base64', () => 'data:image/png,abc', /a data: URI must be base64-encoded/],
      ['a data: URI with damaged base64', () => 'data:image/png;base64,iVBO%%%', /holds characters that are not base64/],
      [
        'a data: URI of a text',
        () => dataUri('image/png', Buffer.from('hello')),
        /this data: URI does not hold an image that can be read \(it says image\/png, 5 bytes\)/,
      ],
      [
        'a data: URI of exactly 10 MB (the most the field allows)',
        () => dataUri('image/png', Buffer.alloc(10 * 1024 * 1024, 7)),
        /start_image_url: File size must be less than 10 MB\. \(got 10\.00 MiB\)/,
      ],
      [
        'a data: URI of 11 MB (longer than the field allows)',
        () => dataUri('image/png', Buffer.alloc(11 * 1024 * 1024, 7)),
        /start_image_url: File size must be less than 10 MB\. \(got a data: URI of more than 10 MiB\)/,
      ],
      [
        'a local image too small for the seed',
        () => image(200, 400).then((b) => write(path.join(allowed, 'small.png'), b)),
        /^start_image_url: The uploaded image width and height must exceed 300 pixels\. \(got width 200 px\)$/m,
      ],
    ];

    it.each(cases)('%s', async (_name, ref, expected) => {
      const start = await ref();
      const nothingSubmitted = counters(sim);
      const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: start, end_image_url: end });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(expected);
      nothingSubmitted();
    });

    it.each([
      ['an absolute path', () => path.join(allowed, 'start.png')],
      ['a file:// URL', () => pathToFileURL(path.join(allowed, 'start.png')).href],
      ['a data: URI', () => dataUri('image/png', png)],
    ])('%s when KLING_MCP_LOCAL_IMAGES=0', async (_name, ref) => {
      const nothingSubmitted = counters(sim);
      const r = await call(off.client, 'generate_video', { prompt: 'p', start_image_url: ref(), end_image_url: end });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/start_image_url: local images .* are turned off on this server \(KLING_MCP_LOCAL_IMAGES=0\); give a public https:\/\/ URL/);
      nothingSubmitted();
    });
  });

  it.each([
    [
      'a 422 about the URL',
      422,
      JSON.stringify({ detail: [{ loc: ['body', 'start_image_url'], msg: 'Input should be a valid URL' }] }),
      'Input should be a valid URL',
    ],
    ['an unknown error code about base64', 400, errorBody(400017, 'base64 media is not accepted here'), 'base64 media is not accepted here'],
    ['a 413 for the request size', 413, 'Request Entity Too Large', 'Request Entity Too Large'],
  ])('when RunComfy answers that it needs a URL (%s), the error says so plainly and that nothing was billed', async (_name, status, body, said) => {
    sim.inject({ route: 'submit', status, body });
    const jobs = sim.submissions;
    const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: path.join(allowed, 'start.png'), end_image_url: end });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(
      /RunComfy refused the local image\(s\), which are sent inline as data: URIs, and needs a URL: .*https:\/\/ URL instead\. Nothing was billed/,
    );
    expect(textOf(r)).toContain(said);
    expect(sim.submissions).toBe(jobs);
  });

  it('the same refusal of plain URLs is passed on as RunComfy said it', async () => {
    sim.inject({ route: 'submit', status: 422, body: JSON.stringify({ detail: 'Input should be a valid URL' }) });
    const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: end, end_image_url: end });
    expect(textOf(r)).toMatch(/RunComfy rejected the request \(HTTP 422\)/);
    expect(textOf(r)).not.toMatch(/inline/);
  });

  function write(file: string, bytes: Buffer): string {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    return file;
  }
  function link(target: string, at: string): string {
    writeFileSync(target, png);
    symlinkSync(target, at);
    return at;
  }
  async function linkDir(target: string, at: string): Promise<string> {
    writeFileSync(path.join(target, 'a.png'), png);
    symlinkSync(target, at, 'dir');
    return at;
  }
  function sparse(file: string, size: number): string {
    writeFileSync(file, '');
    truncateSync(file, size);
    return file;
  }
});

describe("the client's roots decide where local images may come from", () => {
  let sim: RunComfySimulator;
  let tmp: ReturnType<typeof tempDir>;
  let c: Connected;
  let client: Client;
  let roots: string[];
  let rootLists = 0;
  const dirs = {} as Record<'a' | 'b' | 'env', string>;
  let png: Buffer;
  let end: string;

  beforeAll(async () => {
    sim = await startSim();
    tmp = tempDir();
    png = await image(640, 360, 'png', '#118844');
    for (const k of ['a', 'b', 'env'] as const) {
      dirs[k] = path.join(tmp.dir, k);
      mkdirSync(dirs[k]);
      writeFileSync(path.join(dirs[k], 'frame.png'), png);
    }
    end = sim.host('end.png', await image(640, 360), 'image/png');
    roots = [dirs.a];
    client = newClient({ roots: { listChanged: true } });
    client.setRequestHandler(ListRootsRequestSchema, () => {
      rootLists++;
      return { roots: roots.map((r) => ({ uri: pathToFileURL(r).href, name: path.basename(r) })) };
    });
    c = await connectInMemory(simEnv(sim, tmp.dir, { KLING_MCP_IMAGE_DIRS: dirs.env }), undefined, client);
  });
  afterAll(async () => {
    await c.close();
    await sim.stop();
    tmp.cleanup();
  });

  const generate = (dir: string) =>
    call(client, 'generate_video', { prompt: 'p', start_image_url: path.join(dir, 'frame.png'), end_image_url: end, wait_seconds: 0 });

  it('a file in a root is accepted, as is one in KLING_MCP_IMAGE_DIRS; one elsewhere is refused, naming both', async () => {
    expect((await generate(dirs.a)).isError).toBeFalsy();
    expect((await generate(dirs.env)).isError).toBeFalsy();
    const nothingSubmitted = counters(sim);
    const r = await generate(dirs.b);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain(`is outside the folders this server may read images from: ${dirs.a} (the client's roots); ${dirs.env} (KLING_MCP_IMAGE_DIRS)`);
    nothingSubmitted();
    // Read once, then kept until the client says they changed.
    expect(rootLists).toBe(1);
  });

  it('after notifications/roots/list_changed the new roots apply', async () => {
    roots = [dirs.b];
    await client.sendRootsListChanged();
    await expect.poll(async () => (await generate(dirs.b)).isError ?? false).toBe(false);
    expect(rootLists).toBe(2);
    const r = await generate(dirs.a);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain(`outside the folders this server may read images from: ${dirs.b} (the client's roots)`);
  });

  lab('a client that declares roots but lists none, and no KLING_MCP_IMAGE_DIRS: the home folder, as with no roots at all', async ({ connect }) => {
    const bare = newClient({ roots: {} });
    bare.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [] }));
    await connect({ sim, client: bare });
    const nothingSubmitted = counters(sim);
    // The test's temporary folder is not under the home folder, so the refusal shows which folder applies.
    const r = await call(bare, 'generate_video', { prompt: 'p', start_image_url: path.join(dirs.a, 'frame.png'), end_image_url: end });
    expect(textOf(r)).toContain('(the home folder, the client lists no roots; set KLING_MCP_IMAGE_DIRS to choose others)');
    nothingSubmitted();
  });
});

describe('checkFrames: each distinct frame once, bounded, all problems at once', () => {
  let server: http.Server;
  let base: string;
  let inFlight = 0;
  let maxInFlight = 0;
  const hits = new Map<string, number>();
  const images = {} as Record<string, Buffer>;

  beforeAll(async () => {
    images.good = await image(640, 360);
    images.wide = await image(1200, 320);
    server = http.createServer((req, res) => {
      const name = (req.url ?? '/').split('/').pop()!.replace(/-\d+$/, '');
      hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Hold each answer a moment so checks overlap and the bound is what limits them.
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'image/png' }).end(images[name] ?? images.good);
      }, 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const spec = DEFAULT_MODEL.images.start_image_url;
  const sources = () => ({ fetcher: new ImageFetcher({ allowPrivate: true, timeoutMs: 5_000 }) });

  it('fetches a frame shared by several shots once, and returns it by ref', async () => {
    const a = `${base}/good-1`;
    const b = `${base}/good-2`;
    const checked = await checkFrames(
      [
        { label: 'shot 1 start_image_url', ref: a, spec },
        { label: 'shot 1 end_image_url', ref: b, spec },
        { label: 'shot 2 start_image_url', ref: b, spec },
        { label: 'shot 2 end_image_url', ref: a, spec },
      ],
      sources(),
    );
    expect(hits.get('/good-1')).toBe(1);
    expect(hits.get('/good-2')).toBe(1);
    expect([...checked.keys()]).toEqual([a, b]);
    expect(checked.get(a)).toEqual({
      send: a,
      record: a,
      sha256: sha256(images.good!),
      report: { format: 'png', mime: 'image/png', width: 640, height: 360, bytes: images.good!.length },
    });
  });

  it('names every label of a bad frame, and every bad frame, in one error', async () => {
    const wide = `${base}/wide-1`;
    const err = await checkFrames(
      [
        { label: 'shot 2 end_image_url', ref: wide, spec },
        { label: 'shot 3 start_image_url', ref: wide, spec },
        { label: 'shot 3 end_image_url', ref: 'frames/x.png', spec },
        { label: 'shot 4 end_image_url', ref: `${base}/good-3`, spec },
      ],
      sources(),
    ).catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe(
      [
        'shot 2 end_image_url, shot 3 start_image_url: The aspect ratio range should be between 0.40 and 2.50. (got 3.75)',
        'shot 3 end_image_url: "frames/x.png" is not a URL. Give a full https:// URL of the image.',
        'Nothing was submitted; fix the image(s) and call again.',
      ].join('\n'),
    );
  });

  it(`never checks more than ${MAX_CONCURRENT_IMAGE_CHECKS} images at once in the process, however many calls run`, async () => {
    maxInFlight = 0;
    const board = (n: number) => Array.from({ length: 15 }, (_, i) => ({ label: `shot ${i + 1}`, ref: `${base}/good-${n * 100 + i}`, spec }));
    const results = await Promise.all([checkFrames(board(1), sources()), checkFrames(board(2), sources()), checkFrames(board(3), sources())]);
    expect(results.map((r) => r.size)).toEqual([15, 15, 15]);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(MAX_CONCURRENT_IMAGE_CHECKS);
  });
});

describe('allowed folders: containment by whole segments, on real paths', () => {
  it.each([
    ['/home/a', '/home/a/x.png', true],
    ['/home/a', '/home/a', true],
    ['/home/a', '/home/ab/x.png', false],
    ['/home/a', '/home/a/../b/x.png', false],
    ['/home/a', '/home/x.png', false],
    ['/home/a/', '/home/a/sub/..x.png', true],
    ['/', '/etc/passwd', true],
  ])('posix: %s holds %s: %s', (folder, file, inside) => {
    expect(isInside(folder, file, path.posix)).toBe(inside);
  });

  it.each([
    ['C:\\Users\\Me', 'c:\\users\\me\\Pictures\\x.png', true],
    ['C:\\Users\\Me', 'C:\\Users\\Meg\\x.png', false],
    ['C:\\Users\\Me', 'D:\\Users\\Me\\x.png', false],
    ['C:\\Users\\Me', '\\\\server\\share\\x.png', false],
  ])('windows: %s holds %s: %s', (folder, file, inside) => {
    expect(isInside(folder, file, path.win32)).toBe(inside);
  });
});

describe('configuration of local images', () => {
  it('reads KLING_MCP_IMAGE_DIRS as a path-delimited list of absolute folders', () => {
    const c = loadConfig({ KLING_MCP_IMAGE_DIRS: ['/a/b', ' /c ', ''].join(path.delimiter) });
    expect(c.imageDirs).toEqual([path.resolve('/a/b'), path.resolve('/c')]);
    expect(c.localImages).toBe(true);
    // A bad setting does not stop the server: it is reported, and every call answers with it (test/clients.test.ts).
    expect(loadConfig({ KLING_MCP_IMAGE_DIRS: 'frames' }).problems).toEqual([expect.stringMatching(/absolute folders.*"frames" is relative/)]);
  });

  it('KLING_MCP_LOCAL_IMAGES=0 turns local input off', () => {
    expect(loadConfig({ KLING_MCP_LOCAL_IMAGES: '0' }).localImages).toBe(false);
    expect(loadConfig({ KLING_MCP_LOCAL_IMAGES: 'false' }).localImages).toBe(false);
    expect(loadConfig({ KLING_MCP_LOCAL_IMAGES: '1' }).localImages).toBe(true);
  });
});
