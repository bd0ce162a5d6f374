#!/usr/bin/env node
/**
 * `npm run build`: compiles src/ into a fresh dist/ (emptied first, so modules whose source is gone never ship), then
 * bundles the bin (scripts/bundle-server.mjs).
 * `npm ci` runs it as `prepare` with --if-typescript: a production install (`npm ci --omit=dev`) has no compiler,
 * and must still succeed. Plain JavaScript, so it runs without tsx.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (process.argv.includes('--if-typescript')) {
    process.stderr.write('kling-o1-mcp: TypeScript is not installed (production install), so dist/ is not rebuilt.\n');
    process.exit(0);
  }
  throw new Error('TypeScript is not installed: run `npm ci` (with dev dependencies) first.');
}
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
// esbuild is a dev dependency too: imported only once we know this is a development install.
const { bundleServer } = await import('./bundle-server.mjs');
await bundleServer(root);
