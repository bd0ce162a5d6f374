import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFetcher } from '../src/preflight/fetch-image.js';
import { guardedLookup } from '../src/preflight/url-policy.js';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { call, connectInMemory, image, pngBomb, simEnv, textOf, type Connected } from './helpers.js';
import { labTest } from './lab.js';

/**
 * A table of hostile and mistaken inputs. Each must get a clear message and
 * cost nothing: no submission reaches the simulator, and no id reaches a URL.
 * "strict" is the production policy (public HTTPS only); "lab" allows the
 * loopback simulator as an image host, to test what lies behind the URL;
 * "noLocal" is strict with local images turned off (KLING_MCP_LOCAL_IMAGES=0).
 */
type Mode = 'strict' | 'lab' | 'noLocal';
interface Case {
  name: string;
  mode: Mode;
  tool?: string;
  args: (u: Urls) => Record<string, unknown>;
  expect: RegExp;
}
type Urls = Record<string, string>;

const gen = (over: Record<string, unknown>) => (u: Urls) => ({ prompt: 'p', start_image_url: u.good, end_image_url: u.good, ...over });
const endUrl = (key: string) => (u: Urls) => ({ prompt: 'p', start_image_url: u.good, end_image_url: u[key] });
const strictUrl = (url: string, expectText: RegExp): Case => ({
  name: `URL ${url}`,
  mode: 'strict',
  args: () => ({ prompt: 'p', start_image_url: url, end_image_url: url }),
  expect: expectText,
});
const PRIVATE = /local or private address/;

const CASES: Case[] = [
  // Argument types and values
  { name: 'duration 7', mode: 'lab', args: gen({ duration: 7 }), expect: /duration 7 is not a length Kling O1 makes: it makes 5 or 10 seconds/ },
  { name: 'duration "10" as a string', mode: 'lab', args: gen({ duration: '10' }), expect: /duration must be a number of seconds/ },
  { name: 'duration 5.5', mode: 'lab', args: gen({ duration: 5.5 }), expect: /duration must be a whole number of seconds from 3 to 15/ },
  { name: 'duration null', mode: 'lab', args: gen({ duration: null }), expect: /duration must be a number of seconds/ },
  { name: 'prompt missing', mode: 'lab', args: (u) => ({ start_image_url: u.good, end_image_url: u.good }), expect: /prompt is required/ },
  { name: 'prompt a number', mode: 'lab', args: gen({ prompt: 12 }), expect: /prompt must be a string/ },
  { name: 'prompt empty', mode: 'lab', args: gen({ prompt: '' }), expect: /prompt is empty/ },
  { name: 'prompt only spaces', mode: 'lab', args: gen({ prompt: ' \n\t ' }), expect: /prompt is empty/ },
  { name: 'prompt too long', mode: 'lab', args: gen({ prompt: 'x'.repeat(2501) }), expect: /longer than 2500 characters/ },
  { name: 'prompt with a bell character', mode: 'lab', args: gen({ prompt: 'ring \u0007' }), expect: /control characters/ },
  { name: 'prompt with NUL', mode: 'lab', args: gen({ prompt: 'a\u0000b' }), expect: /control characters/ },
  {
    name: 'start_image_url missing',
    mode: 'lab',
    args: (u) => ({ prompt: 'p', end_image_url: u.good }),
    expect: /start_image_url is required: a string holding the https:\/\/ URL, the absolute path or a data: URI of an image/,
  },
  { name: 'start_image_url a number', mode: 'lab', args: gen({ start_image_url: 42 }), expect: /start_image_url must be a string/ },
  { name: 'start_image_url empty', mode: 'lab', args: gen({ start_image_url: '' }), expect: /start_image_url is empty/ },
  { name: 'end_image_url an array', mode: 'lab', args: gen({ end_image_url: ['a'] }), expect: /end_image_url must be a string/ },
  { name: 'image URL of 5000 characters', mode: 'lab', args: gen({ start_image_url: `https://e.com/${'a'.repeat(5000)}` }), expect: /longer than 4096/ },
  { name: 'wait_seconds negative', mode: 'lab', args: gen({ wait_seconds: -1 }), expect: /cannot be negative/ },
  { name: 'wait_seconds fractional', mode: 'lab', args: gen({ wait_seconds: 1.5 }), expect: /whole number/ },
  { name: 'wait_seconds huge', mode: 'lab', args: gen({ wait_seconds: 100000 }), expect: /at most 3600/ },
  { name: 'download as a string', mode: 'lab', args: gen({ download: 'yes' }), expect: /download must be true or false/ },
  // URLs RunComfy could never fetch, or that would probe the user's network
  strictUrl('not a url', /is not a URL/),
  strictUrl('ftp://example.com/a.png', /must start with https:\/\//),
  // Local input: only inside the allowed folders (here the default, the home folder), only images
  strictUrl('file:///etc/passwd', /\/etc\/passwd is outside the folders this server may read images from/),
  strictUrl('/etc/shadow', /\/etc\/shadow is outside the folders this server may read images from/),
  strictUrl('file:///proc/self/environ', /is outside the folders this server may read images from/),
  strictUrl('../../etc/passwd', /is a relative path/),
  strictUrl('data:image/png;base64,iVBORw0KGgo=', /this data: URI does not hold an image that can be read/),
  strictUrl('data:text/html,<script>alert(1)</script>', /a data: URI must be base64-encoded/),
  ...['/tmp/a.png', 'file:///tmp/a.png', 'data:image/png;base64,iVBORw0KGgo='].map((ref): Case => ({
    name: `${ref} with local images off`,
    mode: 'noLocal',
    args: () => ({ prompt: 'p', start_image_url: ref, end_image_url: ref }),
    expect: /turned off on this server \(KLING_MCP_LOCAL_IMAGES=0\)/,
  })),
  strictUrl('javascript:alert(1)', /must start with https:\/\//),
  strictUrl('http://example.com/a.png', /must start with https:\/\//),
  strictUrl('https://localhost/a.png', PRIVATE),
  strictUrl('https://app.localhost/a.png', PRIVATE),
  strictUrl('https://localhost./a.png', PRIVATE),
  strictUrl('https://127.0.0.1/a.png', PRIVATE),
  strictUrl('https://[::1]/a.png', PRIVATE),
  strictUrl('https://169.254.169.254/latest/meta-data/', PRIVATE),
  strictUrl('https://[fd00:ec2::254]/latest/meta-data/', PRIVATE),
  strictUrl('https://10.1.2.3/a.png', PRIVATE),
  strictUrl('https://172.16.5.4/a.png', PRIVATE),
  strictUrl('https://192.168.1.10/a.png', PRIVATE),
  strictUrl('https://100.64.0.1/a.png', PRIVATE),
  strictUrl('https://0x7f000001/a.png', PRIVATE),
  strictUrl('https://2130706433/a.png', PRIVATE),
  strictUrl('https://[::ffff:127.0.0.1]/a.png', PRIVATE),
  strictUrl('https://0.0.0.0/a.png', PRIVATE),
  strictUrl('https://224.0.0.1/a.png', PRIVATE),
  strictUrl('https://user:secret@example.com/a.png', /must not carry a user name or password/),
  // What lies behind the URL
  { name: 'SVG served as .png', mode: 'lab', args: endUrl('svg'), expect: /end_image_url: the file is a SVG image/ },
  { name: 'TIFF', mode: 'lab', args: endUrl('tiff'), expect: /end_image_url: the file is a TIFF image/ },
  { name: 'random bytes', mode: 'lab', args: endUrl('noise'), expect: /end_image_url: this URL does not serve an image that can be read/ },
  { name: 'an HTML page', mode: 'lab', args: endUrl('html'), expect: /end_image_url: this URL does not serve an image.*text\/html/ },
  { name: 'an empty body', mode: 'lab', args: endUrl('empty'), expect: /end_image_url: the URL answered with an empty body/ },
  {
    name: '11 MB announced by Content-Length',
    mode: 'lab',
    args: endUrl('big'),
    expect: /end_image_url: File size must be less than 10 MB\. \(got 11\.00 MiB\)/,
  },
  {
    name: '11 MB streamed without a length',
    mode: 'lab',
    args: endUrl('bigChunked'),
    expect: /end_image_url: File size must be less than 10 MB\. \(got more than 10\.\d\d MiB\)/,
  },
  { name: 'a decompression bomb (20000×20000 PNG)', mode: 'lab', args: endUrl('bomb'), expect: /end_image_url: the image claims 20000×20000 pixels/ },
  {
    name: 'aspect ratio exactly 2.50',
    mode: 'lab',
    args: endUrl('ratio250'),
    expect: /end_image_url: The aspect ratio range should be between 0\.40 and 2\.50\. \(got 2\.50\)/,
  },
  {
    name: 'aspect ratio exactly 0.40',
    mode: 'lab',
    args: endUrl('ratio040'),
    expect: /end_image_url: The aspect ratio range should be between 0\.40 and 2\.50\. \(got 0\.40\)/,
  },
  { name: 'four redirects', mode: 'lab', args: endUrl('hop4'), expect: /more than 3 redirects/ },
  { name: 'a redirect to file://', mode: 'lab', args: endUrl('toFile'), expect: /must start with https:\/\/ or http:\/\// },
  { name: 'a redirect to ftp://', mode: 'lab', args: endUrl('toFtp'), expect: /must start with https:\/\/ or http:\/\// },
  { name: 'HTTP 404', mode: 'lab', args: endUrl('missing'), expect: /answered HTTP 404/ },
  { name: 'nothing listening', mode: 'lab', args: endUrl('refused'), expect: /could not fetch .*ECONNREFUSED/ },
  // request_ids are checked before they go into a URL path
  ...['../../v1/models/kling/kling-video-o1/image-to-video', 'abc/def', 'abc?x=1', '%2e%2e', '', 'a'.repeat(200), 'id with spaces'].flatMap((id) =>
    ['check_status', 'get_result', 'cancel'].map((tool): Case => ({
      name: `${tool} id ${JSON.stringify(id.slice(0, 30))}`,
      mode: 'lab',
      tool,
      args: () => ({ request_id: id }),
      expect: /request_id must be the id generate_video returned/,
    })),
  ),
  { name: 'get_result without request_id', mode: 'lab', tool: 'get_result', args: () => ({}), expect: /request_id is required/ },
  { name: 'check_status id a number', mode: 'lab', tool: 'check_status', args: () => ({ request_id: 7 }), expect: /request_id must be a string/ },
  { name: 'list_jobs unknown status', mode: 'lab', tool: 'list_jobs', args: () => ({ status: 'bogus' }), expect: /status must be one of/ },
  { name: 'list_jobs limit 0', mode: 'lab', tool: 'list_jobs', args: () => ({ limit: 0 }), expect: /limit/ },
];

/** The three servers (one per Mode) share one state folder, and the files behind the URLs are on the lab's simulator. */
const lab = labTest()
  .extend('servers', { scope: 'file' }, async ({ sim, sharedDir }, { onCleanup }) => {
    const servers: Record<Mode, Connected> = {
      lab: await connectInMemory(simEnv(sim, sharedDir)),
      strict: await connectInMemory(simEnv(sim, sharedDir, { KLING_MCP_ALLOW_PRIVATE_URLS: '0' })),
      noLocal: await connectInMemory(simEnv(sim, sharedDir, { KLING_MCP_ALLOW_PRIVATE_URLS: '0', KLING_MCP_LOCAL_IMAGES: '0' })),
    };
    onCleanup(async () => {
      await Promise.all(Object.values(servers).map((c) => c.close()));
    });
    return servers;
  })
  .extend('urls', { scope: 'file' }, ({ sim }) => hostedUrls(sim));

async function hostedUrls(sim: RunComfySimulator): Promise<Urls> {
  const eleven = Buffer.alloc(11 * 1024 * 1024, 1);
  const urls: Urls = {
    good: sim.host('good.png', await image(640, 360)),
    svg: sim.host(
      'v.png',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><rect width="800" height="600" fill="red"/></svg>'),
      'image/png',
    ),
    tiff: sim.host('t.png', await image(640, 480, 'tiff'), 'image/png'),
    noise: sim.host('n.png', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)), 'image/png'),
    html: sim.host('h.png', Buffer.from('<!doctype html><title>login</title>'), 'text/html; charset=utf-8'),
    empty: sim.host('empty.png', Buffer.alloc(0), 'image/png'),
    big: sim.host('big.png', eleven, 'image/png'),
    bigChunked: sim.host('bigc.png', eleven, 'image/png', true),
    bomb: sim.host('bomb.png', pngBomb(20000, 20000)),
    ratio250: sim.host('r250.png', await image(800, 320)),
    ratio040: sim.host('r040.png', await image(320, 800)),
    toFile: sim.redirect('tofile', 'file:///etc/passwd'),
    toFtp: sim.redirect('toftp', 'ftp://example.com/a.png'),
    missing: `${sim.url}/files/nope.png`,
    refused: 'http://127.0.0.1:9/a.png',
  };
  urls.hop4 = sim.redirect('h1', sim.redirect('h2', sim.redirect('h3', sim.redirect('h4', urls.good!))));
  return urls;
}

describe('bad input corpus: a clear message and nothing submitted', () => {
  lab(`holds at least 40 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  lab.for(CASES.map((c) => [c.name, c] as const))('%s', async ([, c], { sim, servers, urls }) => {
    const posts = sim.count('submit');
    const jobs = sim.submissions;
    const reads = sim.count('status') + sim.count('result') + sim.count('cancel');
    const r = await call(servers[c.mode].client, c.tool ?? 'generate_video', c.args(urls));
    expect(r.isError, textOf(r)).toBe(true);
    expect(textOf(r)).toMatch(c.expect);
    expect(sim.count('submit')).toBe(posts);
    expect(sim.submissions).toBe(jobs);
    expect(sim.count('status') + sim.count('result') + sim.count('cancel')).toBe(reads);
  });
});

describe('the image fetcher on its own', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/slow') {
        res.writeHead(200, { 'content-type': 'image/png' });
        const t = setInterval(() => res.write(Buffer.alloc(10)), 100);
        res.on('close', () => clearInterval(t));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('gives up on a host that trickles bytes past the total time cap', async () => {
    const f = new ImageFetcher({ allowPrivate: true, timeoutMs: 500 });
    await expect(f.fetch('start_image_url', `${base}/slow`, 10 * 1024 * 1024)).rejects.toThrow(/did not deliver the file within 1 s/);
  });

  it('refuses a host name that resolves to a private address at connect time (DNS rebinding guard)', async () => {
    const lookup = guardedLookup({ allowPrivate: false });
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(err?.code).toBe('EPRIVATEADDRESS');
    expect(err?.message).toMatch(/localhost resolves to .*local or private address/);
    const allowed = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup({ allowPrivate: true })('localhost', {}, (e) => resolve(e)));
    expect(allowed).toBeNull();
  });
});
