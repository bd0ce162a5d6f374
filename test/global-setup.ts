/**
 * The stdio tests run the built bin (the bundle, as shipped), so bundle it once before any test runs. Only the bin:
 * `npm test` type-checks beside the tests, and a second compile of src/ here would cost the suite a quarter of its
 * time. A tree never built (no dist/, e.g. installed with --ignore-scripts) gets the whole build once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const only = existsSync(path.join(root, 'dist')) ? ['--bin-only'] : [];
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), ...only], { stdio: 'inherit' });
}
