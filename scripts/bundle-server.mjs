#!/usr/bin/env node
/**
 * Bundles the server bin: src/server.ts and what it imports (the MCP SDK, zod,
 * undici…) become dist/server.js plus chunks in dist/chunks/ that load only on
 * first use. Node then reads one file at start-up instead of a few hundred
 * modules, which halves a cold start (spawn → initialize → tools/list; see
 * `npm run bench`). sharp and libsql stay outside: they load native binaries
 * from per-platform packages at run time.
 * Runs after tsc (which still type-checks and emits the other modules), and
 * empties dist/chunks/ first so no stale chunk ships. Plain JavaScript, so it
 * runs without tsx. esbuild comes with tsx.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function bundleServer(root) {
  const dist = path.join(root, 'dist');
  rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });
  // tsc's map of the server module would describe a file the bundle replaces.
  rmSync(path.join(dist, 'server.js.map'), { force: true });
  await build({
    // lean-heap goes with the chunks, which the package and the bundle ship whole (package.json "files").
    entryPoints: { server: path.join(root, 'src', 'server.ts'), 'chunks/lean-heap': path.join(root, 'src', 'util', 'lean-heap.ts') },
    outdir: dist,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['sharp', 'libsql'],
    // Bundled CommonJS (ajv, undici) still require() Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  // The V8 settings of util/lean-heap.ts apply only to what V8 does after them, so they must run before every chunk the
  // bin imports: as its first import (esbuild orders the imports of chunks as it likes).
  const bin = path.join(dist, 'server.js');
  writeFileSync(
    bin,
    readFileSync(bin, 'utf8').replace(/^(#!.*\n)?/, (shebang) => `${shebang}import './chunks/lean-heap.js';\n`),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleServer(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
}
