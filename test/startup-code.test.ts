/**
 * What every start of the bin parses: dist/server.js and the chunks it imports statically (the global setup builds
 * them). A cold start costs about a millisecond per 10 KB of it and about 0.3 ms per file, so what a start does not
 * need is imported when a call uses it (libsql, sharp, mediabunny, undici; the services, the ledger's store, the
 * studio, pre-flight, the board view) or left out of the bundle (scripts/bundle-server.mjs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from './helpers.js';

/** Static imports and re-exports of an esbuild ESM output (`import x from"y"`, `import"y"`), not import() calls. */
const STATIC = /(?:^|[;}\s])(?:import|export)\s*(?:[^'"();]*?\bfrom\s*)?"([^"]+)"/g;

function startupCode(entry: string): { files: string[]; bytes: number; packages: string[] } {
  const files: string[] = [];
  const packages = new Set<string>();
  let bytes = 0;
  const visit = (file: string) => {
    if (files.includes(file)) return;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    bytes += Buffer.byteLength(text);
    for (const [, spec] of text.matchAll(STATIC)) {
      if (spec!.startsWith('.')) visit(path.resolve(path.dirname(file), spec!));
      else if (!spec!.startsWith('node:')) packages.add(spec!);
    }
  };
  visit(entry);
  return { files, bytes, packages: [...packages] };
}

describe('the code every start of the bin parses', () => {
  const code = startupCode(BIN);

  it('imports no package at start: libsql, sharp and the rest load on the call that needs them', () => {
    expect(code.files.length).toBeGreaterThan(1);
    expect(code.packages).toEqual([]);
  });

  it('stays under 670 KB (it was 2.5 MB when the storyboard tools reached mediabunny statically, 692 KB before call-time code loaded on use)', () => {
    expect(code.bytes).toBeLessThan(670 * 1024);
  });

  it('is at most 6 files (it was 24): the bundle keeps a start’s own code in one chunk (scripts/bundle-server.mjs#startInOneChunk)', () => {
    expect(code.files.length).toBeLessThanOrEqual(6);
  });
});
