#!/usr/bin/env node
/**
 * Builds the player (src/player/) into dist/player.html: one self-contained MCP
 * Apps page, its script and styles inlined, nothing loaded from elsewhere (hosts
 * sandbox the page and allow no other origin for scripts). resources/player.ts
 * serves it. Plain JavaScript, so it runs without tsx; esbuild is a dev dependency.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function buildPlayer(root) {
  const src = path.join(root, 'src', 'player');
  const { outputFiles } = await build({
    entryPoints: [path.join(src, 'main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    legalComments: 'none',
    // zod (under the MCP SDK's types) re-exports all its locales, 60 % of the page; the page shows zod's English only.
    plugins: [
      {
        name: 'no-zod-locales',
        setup(b) {
          b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
            args.importer.includes(`${path.sep}zod${path.sep}`) ? { path: 'zod-locales', namespace: 'stub' } : undefined,
          );
          b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export {};' }));
        },
      },
    ],
    logLevel: 'warning',
  });
  // Inlined in a <script>: a "</script" inside a string must not end it.
  const script = outputFiles[0].text.replace(/<\/(script)/gi, '<\\/$1');
  const style = readFileSync(path.join(src, 'player.css'), 'utf8');
  const html = readFileSync(path.join(src, 'page.html'), 'utf8')
    .replace('/*STYLE*/', () => style)
    .replace('/*SCRIPT*/', () => script);
  writeFileSync(path.join(root, 'dist', 'player.html'), html);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildPlayer(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
}
