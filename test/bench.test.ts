import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

// The benchmark's figures belong in the README, not in assertions; this only proves it runs to the end. The limit
// bounds a hang, not the speed: about 90 s here alone, several times that beside other work.
const LIMIT_MS = 600_000;
describe('npm run bench', () => {
  it(
    'runs to completion and prints its table',
    async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'bench.ts')],
        {
          cwd: ROOT,
          timeout: LIMIT_MS,
          maxBuffer: 1 << 20,
        },
      );
      expect(stdout).toContain('| measure | result |');
      for (const row of [
        'Tool definitions a model reads',
        'Cold start',
        'Pre-flight check, two 1280×720',
        'Simulated 120 s job',
        '100 concurrent generate_video',
        'Saving a 500 MB result',
        'Long history',
        '12-shot storyboard',
        'One keyframe changed in the 12-shot board',
        'Re-cut of the 12-shot board',
        '12-shot storyboard with sound on Kling 3.0 Pro',
        'Stitching a 12-shot board whose clips have sound',
      ]) {
        expect(stdout).toContain(row);
      }
    },
    LIMIT_MS,
  );
});
