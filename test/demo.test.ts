import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { demoKeyframes } from '../scripts/keyframes.js';
import { ROOT, tempDir } from './helpers.js';

/** Mean absolute difference per channel between two raw RGB buffers. */
function distance(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('npm run demo', () => {
  it('makes a clip offline that goes from the start frame to the end frame, and exits 0', async () => {
    const tmp = tempDir();
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'demo.ts')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, KLING_DEMO_OUTPUT_DIR: tmp.dir },
        timeout: 60_000,
      });
      expect(stdout).toMatch(/\d+%/);
      expect(stdout).toContain('Video ready');
      const videos = path.join(tmp.dir, 'videos');
      const [clip] = readdirSync(videos);
      const file = path.join(videos, clip!);
      const meta = await sharp(file, { animated: true }).metadata();
      expect(meta.pages).toBeGreaterThan(1);
      const { width, pageHeight } = { width: meta.width!, pageHeight: meta.pageHeight! };
      const all = await sharp(file, { animated: true }).removeAlpha().raw().toBuffer();
      const frameBytes = width * pageHeight * 3;
      const first = all.subarray(0, frameBytes);
      const last = all.subarray((meta.pages! - 1) * frameBytes);
      const frames = await demoKeyframes();
      const scaled = (b: Buffer) => sharp(b).resize(width, pageHeight, { fit: 'cover' }).removeAlpha().raw().toBuffer();
      const [start, end] = await Promise.all([scaled(frames.start), scaled(frames.end)]);
      expect(distance(first, start)).toBeLessThan(4);
      expect(distance(last, end)).toBeLessThan(4);
      expect(distance(first, end)).toBeGreaterThan(20);
    } finally {
      tmp.cleanup();
    }
  }, 60_000);
});
