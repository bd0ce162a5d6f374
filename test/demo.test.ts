import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect } from 'vitest';
import { demoKeyframes } from '../scripts/keyframes.js';
import { probeClip } from '../src/media/probe.js';
import { image, ROOT } from './helpers.js';
import { labTest } from './lab.js';
import { decodePcmClip, rgbDistance } from './pcm-decoder.js';

const it = labTest();
/** Bounds a hang, not the speed: a demo takes about 20 s here alone, several times that beside other work. */
const LIMIT_MS = 180_000;

describe('npm run demo', () => {
  it(
    'makes a clip offline that goes from the start frame to the end frame, and exits 0',
    async ({ dir }) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'demo.ts')],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, KLING_DEMO_OUTPUT_DIR: dir },
          timeout: LIMIT_MS,
        },
      );
      expect(stdout).toMatch(/\d+%/);
      expect(stdout).toContain('Video ready');
      const videos = path.join(dir, 'videos');
      const [name] = readdirSync(videos);
      const file = path.join(videos, name!);
      expect(file).toMatch(/\.mp4$/);
      const clip = await decodePcmClip(file);
      expect(clip.frames.length).toBeGreaterThan(1);
      const { width, height } = clip;
      const first = clip.frames[0]!;
      const last = clip.frames.at(-1)!;
      const frames = await demoKeyframes();
      const scaled = (b: Buffer) => sharp(b).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer();
      const [start, end] = await Promise.all([scaled(frames.start), scaled(frames.end)]);
      expect(rgbDistance(first, start)).toBeLessThan(4);
      expect(rgbDistance(last, end)).toBeLessThan(4);
      expect(rgbDistance(first, end)).toBeGreaterThan(20);
    },
    LIMIT_MS,
  );

  it(
    '--storyboard makes a 3-shot film and a contact sheet offline, and says where they are',
    async ({ dir }) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'demo.ts'), '--storyboard'],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, KLING_DEMO_OUTPUT_DIR: dir },
          timeout: LIMIT_MS,
        },
      );
      const film = /^Film: (\S+\.mp4) /m.exec(stdout)?.[1];
      const sheet = /^Contact sheet: (\S+\.png)$/m.exec(stdout)?.[1];
      expect(film, stdout).toBeTruthy();
      expect(path.dirname(film!)).toBe(path.join(dir, 'videos'));
      const probe = await probeClip(film!);
      expect(probe.durationS).toBeCloseTo(15, 0);
      expect((await sharp(sheet!).metadata()).format).toBe('png');
    },
    LIMIT_MS,
  );

  it(
    '`npm run demo -- start.png end.png` reads relative paths from the folder it was run in (INIT_CWD)',
    async ({ dir }) => {
      writeFileSync(path.join(dir, 'start.png'), await image(640, 360, 'png', '#aa2222'));
      writeFileSync(path.join(dir, 'end.png'), await image(640, 360, 'png', '#22aa22'));
      // npm runs the script in the clone; INIT_CWD is where the user typed the command.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'demo.ts'), 'start.png', 'end.png'],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, INIT_CWD: dir, KLING_DEMO_OUTPUT_DIR: path.join(dir, 'out') },
          timeout: LIMIT_MS,
        },
      );
      expect(stdout).toContain('Video ready');
    },
    LIMIT_MS,
  );

  it(
    '--from-text makes 4 keyframes (a sheet the other 3 reference), a 3-shot board, a soundtrack and the film with sound, offline',
    async ({ dir }) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
          path.join(ROOT, 'scripts', 'demo.ts'),
          '--from-text',
          'a paper boat drifts down a rainy street',
        ],
        { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, KLING_DEMO_OUTPUT_DIR: dir }, timeout: LIMIT_MS },
      );
      const keyframes = [...stdout.matchAll(/^Keyframe: (kf-[0-9a-f]{12}) (\S+\.png)$/gm)];
      expect(keyframes, stdout).toHaveLength(4);
      for (const [, , file] of keyframes) expect((await sharp(file!).metadata()).format).toBe('png');
      expect(stdout).toMatch(/from kf-[0-9a-f]{12}/);
      expect(stdout).toMatch(/^Soundtrack: st-[0-9a-f]{12} \S+\.mp3$/m);
      const film = /^Film: (\S+\.mp4) \(H\.264 MP4 with/m.exec(stdout)?.[1];
      expect(film, stdout).toBeTruthy();
      const probe = await probeClip(film!);
      expect(probe.durationS).toBeCloseTo(15, 0);
      expect(probe.audio?.codec).toBe('mp3');
      expect(stdout).toContain('RunComfy submissions: 8; simulated cost $2.34');
    },
    LIMIT_MS,
  );
});
