#!/usr/bin/env node
/**
 * `npm run build`: compiles src/ into dist/, removes what no source produces any more (modules whose source was
 * deleted or moved, old source maps) so those never ship, then bundles the bin (scripts/bundle-server.mjs).
 * dist/ is updated in place, never emptied: tests run the built server while `npm run demo` rebuilds it.
 * `npm ci` runs this as `prepare` with --if-typescript: a production install (`npm ci --omit=dev`) has no compiler
 * and must still succeed. Plain JavaScript, so it runs without tsx.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
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
// --bin-only (the test suite's global setup): `npm test` type-checks beside the tests, which run only the bin.
if (!process.argv.includes('--bin-only')) execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

// Deepest first, so a folder emptied of stale modules goes too. The bin's chunks have no source: bundleServer
// rebuilds them just below.
const dist = path.join(root, 'dist');
const depth = (p) => p.split(path.sep).length;
const entries = readdirSync(dist, { recursive: true, withFileTypes: true })
  .map((entry) => ({ entry, file: path.join(entry.parentPath, entry.name) }))
  .sort((a, b) => depth(b.file) - depth(a.file));
for (const { entry, file } of entries) {
  if (entry.isDirectory()) {
    if (readdirSync(file).length === 0) rmdirSync(file);
    continue;
  }
  const source = path.join(root, 'src', path.relative(dist, file)).replace(/\.js$/, '.ts');
  if (!file.endsWith('.js') || !existsSync(source)) rmSync(file);
}

// esbuild is a dev dependency too: imported only once this is known to be a development install.
const { bundleServer } = await import('./bundle-server.mjs');
await bundleServer(root);
// The player page (src/player/), one self-contained HTML file.
const { buildPlayer } = await import('./build-player.mjs');
await buildPlayer(root);
