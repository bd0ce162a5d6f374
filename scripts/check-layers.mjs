#!/usr/bin/env node
// The stairs run one way: every relative import in src/ must go to the importer's own unit or to a unit on a
// lower layer. The layers are the table under "## Layers" in ARCHITECTURE.md, so the document and the rule are
// one thing. Type-only imports count too: a type that reaches up is a stair all the same. Part of `npm run lint`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Rows of the Layers table, lowest first: { layer, units: ['src/util/', 'src/errors.ts', …] }. */
export function readLayers(doc) {
  const section = doc.split(/^## Layers\s*$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error('ARCHITECTURE.md has no "## Layers" section.');
  const rows = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const layer = Number(cells[1]);
    if (!line.startsWith('|') || !Number.isInteger(layer)) continue;
    rows.push({ layer, units: [...cells[2].matchAll(/`(src\/[^`]+)`/g)].map((m) => m[1]) });
  }
  return rows;
}

function sourceFiles(dir, root) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full, root);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [path.relative(root, full).split(path.sep).join('/')] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Every upward (or sideways, between units) import under root/src, as readable lines; empty when the house is sound. */
export function checkLayers(root) {
  const rows = readLayers(readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8'));
  const placed = rows.flatMap((r) => r.units.map((unit) => ({ unit, layer: r.layer })));
  // The most specific unit holds a file: `src/jobs/phase.ts` before `src/jobs/`.
  const unitOf = (file) =>
    placed.filter((p) => (p.unit.endsWith('/') ? file.startsWith(p.unit) : file === p.unit)).sort((a, b) => b.unit.length - a.unit.length)[0];
  const problems = [];
  for (const file of sourceFiles(path.join(root, 'src'), root)) {
    const from = unitOf(file);
    if (!from) {
      problems.push(`${file}: not in any layer of ARCHITECTURE.md's Layers table; add its folder or file there.`);
      continue;
    }
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      const to = unitOf(target);
      if (!to || to.unit === from.unit) continue;
      if (to.layer >= from.layer) {
        problems.push(`${file} imports ${spec}: ${from.unit} (layer ${from.layer}) may only import from lower layers, and ${to.unit} is on layer ${to.layer}.`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkLayers(root);
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`\n${problems.length} import(s) against the layers; see "Layers" in ARCHITECTURE.md.`);
    process.exit(1);
  }
}
