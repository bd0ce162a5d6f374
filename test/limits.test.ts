/**
 * Every limit, in every form, in memory and over stdio: sizes (an image at the size rule and one byte over, as a
 * URL, a path, a file:// URL and a data: URI), counts (shots, frames in one call), lengths (prompt, title,
 * request_id, confirm_quote). Each either works or is refused with a clear error naming the limit; a refusal
 * submits nothing, and the server goes on answering other calls. Over stdio, a message past the SDK's 10 MiB cap
 * is refused by the server's own transport (src/transport.ts), naming the better form, and the connection stays.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sizeCap } from '../src/models/image-rules.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { MAX_SHOTS } from '../src/tools/args.js';
import { MAX_MESSAGE_BYTES } from '../src/transport.js';
import { call, connectInMemory, connectStdio, image, simEnv, startSim, tempDir, textOf } from './helpers.js';
import { labTest } from './lab.js';

const MAX_IMAGE_BYTES = sizeCap(DEFAULT_MODEL.images.start_image_url.rules).maxBytes;
// The model and fields.ts keep these to themselves; each refusal must name its figure.
const PROMPT_MAX_CHARS = 2500;
const IMAGE_URL_MAX_CHARS = 4096;

/** A valid PNG of exactly `bytes` bytes: a small picture, then padding after its end (decoders stop at IEND). */
async function pngOf(bytes: number): Promise<Buffer> {
  const picture = await image(640, 360, 'png', '#335577');
  return Buffer.concat([picture, Buffer.alloc(bytes - picture.length)]);
}

const dataUri = (b: Buffer) => `data:image/png;base64,${b.toString('base64')}`;

let sim: RunComfySimulator;
let tmp: ReturnType<typeof tempDir>;
let end: string;
const files = {} as Record<'atLimit' | 'overLimit' | 'fits', { buffer: Buffer; file: string; url: string }>;

beforeAll(async () => {
  sim = await startSim();
  tmp = tempDir('kling-limits-');
  end = sim.host('end.png', await image(640, 360), 'image/png');
  // At the size rule, one byte over it, and the largest that still fits one stdio message inline.
  const sizes = { atLimit: MAX_IMAGE_BYTES, overLimit: MAX_IMAGE_BYTES + 1, fits: 7 * 1024 * 1024 };
  for (const [name, bytes] of Object.entries(sizes) as [keyof typeof files, number][]) {
    const buffer = await pngOf(bytes);
    const file = path.join(tmp.dir, `${name}.png`);
    writeFileSync(file, buffer);
    files[name] = { buffer, file, url: sim.host(`${name}.png`, buffer, 'image/png') };
  }
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  tmp?.cleanup();
});

// Each case moves tens of MiB through one event loop (this test, the in-memory server and the simulator): a few
// seconds here alone, several times that on a loaded machine (16 s for the in-memory data: URI case at load 17). So
// its real-time limits, the test's and the server's HTTP timeout to the simulator on loopback, only bound a hang.
const LIMIT_MS = 180_000;

const env = () => simEnv(sim, tmp.dir, { KLING_MCP_IMAGE_DIRS: tmp.dir, KLING_MCP_HTTP_TIMEOUT_S: String(LIMIT_MS / 1000) });

/** The call's answer, and proof that a refusal sent nothing and the server still answers. */
async function attempt(client: Client, name: 'generate_video' | 'generate_storyboard' | 'check_status', args: Record<string, unknown>) {
  const before = sim.submissions;
  const r = await call(client, name, args);
  const submitted = sim.submissions - before;
  // Still answering: another call, right after.
  expect((await call(client, 'list_jobs', { limit: 1 })).isError).toBeFalsy();
  return { r, submitted, text: textOf(r) };
}

const clip = (start: string, extra: Record<string, unknown> = {}) => ({
  prompt: '@Image1 to @Image2',
  start_image_url: start,
  end_image_url: end,
  wait_seconds: 0,
  ...extra,
});

const FORMS = {
  URL: (f: { url: string }) => f.url,
  path: (f: { file: string }) => f.file,
  'file:// URL': (f: { file: string }) => pathToFileURL(f.file).href,
  'data: URI': (f: { buffer: Buffer }) => dataUri(f.buffer),
} as const;

const transports = {
  'in memory': async () => {
    const c = await connectInMemory(env());
    return { client: c.client, close: c.close };
  },
  'over stdio': async () => {
    const c = await connectStdio(env());
    return { client: c.client, close: c.close };
  },
};

describe.each(Object.entries(transports))('limits %s', { timeout: LIMIT_MS }, (transport, connect) => {
  let client: Client;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ client, close } = await connect());
  }, LIMIT_MS);
  afterAll(async () => close?.());
  const stdio = transport === 'over stdio';

  describe('sizes: an image at the 10 MiB rule works, one byte over is refused, in every form', () => {
    it.each(Object.keys(FORMS) as (keyof typeof FORMS)[])('%s', async (form) => {
      const ref = (f: (typeof files)[keyof typeof files]) => FORMS[form](f);
      const over = await attempt(client, 'generate_video', clip(ref(files.overLimit)));
      expect(over.submitted).toBe(0);
      if (form === 'data: URI' && stdio) {
        // 4/3 of 10 MiB does not fit one stdio message: the transport refuses it and names the better form.
        expect(over.r).toBeToolError('request_too_large');
        expect(over.text).toContain(`over the 10.00 MiB one MCP message may hold over stdio`);
        expect(over.text).toMatch(/give local keyframes as absolute file paths or file:\/\/ URLs instead/);
      } else {
        expect(over.text).toMatch(/start_image_url: File size must be less than 10 MB\. \(got (more than )?(10\.00 MiB|a data: URI of more than 10 MiB)\)/);
      }
      const at = await attempt(client, 'generate_video', clip(ref(files.atLimit)));
      if (form === 'data: URI' && stdio) {
        expect(at.r).toBeToolError('request_too_large');
        expect(at.submitted).toBe(0);
      } else {
        expect(at.r.isError, at.text).toBeFalsy();
        expect(at.submitted).toBe(1);
      }
    });

    it('a data: URI that fits one message (7 MiB) works', async () => {
      const r = await attempt(client, 'generate_video', clip(dataUri(files.fits.buffer)));
      expect(r.r.isError, r.text).toBeFalsy();
      expect(r.submitted).toBe(1);
    });
  });

  describe('counts: shots and frames in one call', () => {
    const shot = (start: string) => ({ prompt: '@Image1 to @Image2', start_image_url: start, end_image_url: end });

    it(`${MAX_SHOTS} shots work; ${MAX_SHOTS + 1} are refused, naming the limit`, async () => {
      const over = await attempt(client, 'generate_storyboard', { shots: Array.from({ length: MAX_SHOTS + 1 }, () => shot(end)), wait_seconds: 0 });
      expect(over.r.isError).toBe(true);
      expect(over.text).toContain(`shots can hold at most ${MAX_SHOTS} shots; split the film into several storyboards.`);
      expect(over.submitted).toBe(0);
      const at = await attempt(client, 'generate_storyboard', {
        shots: Array.from({ length: MAX_SHOTS }, () => shot(end)),
        wait_seconds: 0,
        stitch: false,
      });
      expect(at.r.isError, at.text).toBeFalsy();
      expect(at.submitted).toBe(MAX_SHOTS);
    });

    it('many inline frames in one call: in memory they are checked; over stdio past 10 MiB in all they are refused whole', async () => {
      // Two shots, four 3 MiB data: URIs: 16 MiB of base64 in one message.
      const big = dataUri(await pngOf(3 * 1024 * 1024));
      const r = await attempt(client, 'generate_storyboard', {
        shots: [
          { prompt: 'a @Image1 @Image2', start_image_url: big, end_image_url: `${big}` },
          { prompt: 'b @Image1 @Image2', start_image_url: big, end_image_url: big },
        ],
        wait_seconds: 0,
        stitch: false,
      });
      if (stdio) {
        expect(r.r).toBeToolError('request_too_large');
        expect(r.submitted).toBe(0);
      } else {
        expect(r.r.isError, r.text).toBeFalsy();
        expect(r.submitted).toBe(2);
      }
    });
  });

  describe('lengths: the longest accepted works, one longer is refused, naming the limit', () => {
    it(`prompt: ${PROMPT_MAX_CHARS} characters`, async () => {
      const over = await attempt(client, 'generate_video', clip(files.fits.url, { prompt: 'x'.repeat(PROMPT_MAX_CHARS + 1) }));
      expect(over.r.isError).toBe(true);
      expect(over.text).toContain(`${PROMPT_MAX_CHARS}`);
      expect(over.submitted).toBe(0);
      const at = await attempt(client, 'generate_video', clip(files.fits.url, { prompt: 'x'.repeat(PROMPT_MAX_CHARS) }));
      expect(at.r.isError, at.text).toBeFalsy();
    });

    it(`image URL: ${IMAGE_URL_MAX_CHARS} characters`, async () => {
      const long = `${files.fits.url}?${'p'.repeat(IMAGE_URL_MAX_CHARS)}`.slice(0, IMAGE_URL_MAX_CHARS + 1);
      const over = await attempt(client, 'generate_video', clip(long));
      expect(over.r.isError).toBe(true);
      expect(over.text).toContain(`${IMAGE_URL_MAX_CHARS}`);
      expect(over.submitted).toBe(0);
    });

    it('title: 200 characters', async () => {
      const shots = [{ prompt: '@Image1 to @Image2', start_image_url: files.fits.url, end_image_url: end }];
      const over = await attempt(client, 'generate_storyboard', { shots, title: 't'.repeat(201), wait_seconds: 0 });
      expect(over.text).toContain('title can be at most 200 characters.');
      expect(over.submitted).toBe(0);
      const at = await attempt(client, 'generate_storyboard', { shots, title: 't'.repeat(200), wait_seconds: 0, stitch: false });
      expect(at.r.isError, at.text).toBeFalsy();
    });

    it('request_id: 128 characters is looked up; 129 is refused before any request', async () => {
      const at = await attempt(client, 'check_status', { request_id: 'a'.repeat(128) });
      expect(at.r).toBeToolError('not_found');
      const over = await attempt(client, 'check_status', { request_id: 'a'.repeat(129) });
      expect(over.text).toContain('at most 128 characters');
    });

    it('confirm_quote: a token longer than any quote is refused by its schema', async () => {
      const over = await attempt(client, 'generate_video', clip(files.fits.url, { confirm_quote: 'q'.repeat(65) }));
      expect(over.text).toContain('confirm_quote must be the token of a quote this server gave.');
      expect(over.submitted).toBe(0);
    });
  });
});

const processes = labTest();

describe('the stdio cap itself', { timeout: LIMIT_MS }, () => {
  processes(
    `a message of ${MAX_MESSAGE_BYTES} bytes and more never closes the connection; a request without a tool is answered as a JSON-RPC error`,
    async ({ spawn }) => {
      const c = await spawn();
      // Not a tool call: a resource read whose URI alone is over the cap.
      await expect(c.client.readResource({ uri: `kling://jobs/${'a'.repeat(MAX_MESSAGE_BYTES)}` })).rejects.toThrow(/over the 10\.00 MiB one MCP message/);
      expect((await call(c.client, 'list_jobs', {})).isError).toBeFalsy();
    },
  );
});
