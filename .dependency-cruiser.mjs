// The stairs run one way (ARCHITECTURE.md, "Layers"). dependency-cruiser sees every import in src/: static,
// side-effect, dynamic, type-only, re-export. Its rules are made here, when it loads this file, from the Layers
// table of the ARCHITECTURE.md in the folder it runs in, so the table stays the rule: a file imports only its own
// unit or units on lower rows, and a file in no unit is an error. Part of `npm run lint`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Rows of the Layers table, lowest first: { layer, units: ['src/util/', 'src/errors.ts', …] }. */
function readLayers(doc) {
  const section = doc.split(/^## Layers\s*$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error('ARCHITECTURE.md has no "## Layers" section.');
  const rows = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const layer = Number(cells[1]);
    if (!line.startsWith('|') || !Number.isInteger(layer)) continue;
    rows.push({ layer, units: [...cells[2].matchAll(/`(src\/[^`]+)`/g)].map((m) => m[1]) });
  }
  if (rows.length === 0) throw new Error('the "## Layers" section of ARCHITECTURE.md has no rows.');
  return rows;
}

const units = readLayers(readFileSync('ARCHITECTURE.md', 'utf8')).flatMap((r) => r.units.map((unit) => ({ unit, layer: r.layer })));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = (unit) => escape(unit) + (unit.endsWith('/') ? '' : '$');
const any = (list) => list.map((u) => pattern(u.unit)).join('|');
/** The files a unit holds: under it, less those of a more specific unit inside it (`src/jobs/phase.ts` in `src/jobs/`). */
function member({ unit }) {
  const inner = units.filter((u) => u.unit !== unit && unit.endsWith('/') && u.unit.startsWith(unit));
  return `^${inner.length > 0 ? `(?!${any(inner)})` : ''}${pattern(unit)}`;
}
const placed = `^(?:${any(units)})`;

const stairs = units.flatMap((from) => {
  const above = units.filter((to) => to.unit !== from.unit && to.layer >= from.layer);
  if (above.length === 0) return [];
  return {
    name: `layers: ${from.unit} (layer ${from.layer})`,
    comment: `${from.unit} is on layer ${from.layer} of ARCHITECTURE.md's Layers table: it may import only its own files and units on lower rows. Move the shared code down, or this code up.`,
    severity: 'error',
    from: { path: member(from) },
    to: { path: above.map(member).join('|') },
  };
});

const noUnit = {
  name: 'layers: in no unit',
  comment: "A file of src/ that no row of ARCHITECTURE.md's Layers table holds: add its folder or file to the table.",
  severity: 'error',
};

export default {
  forbidden: [
    ...stairs,
    // A stray file is found whether it imports, is imported, or neither.
    { ...noUnit, from: { path: '^src/', pathNot: placed }, to: {} },
    { ...noUnit, from: { path: '^src/' }, to: { path: '^src/', pathNot: placed } },
    { ...noUnit, from: { path: '^src/', pathNot: placed, orphan: true }, to: {} },
    {
      name: 'layers: the player is browser code',
      comment: 'src/player/ runs in the browser: of the server it imports only the pure src/jobs/phase.ts (see its row of the Layers table).',
      severity: 'error',
      from: { path: '^src/player/' },
      to: { path: '^src/', pathNot: '^src/player/|^src/jobs/phase\\.ts$' },
    },
  ],
  options: {
    // Type-only imports are stairs too: read the TypeScript before it is compiled, when they are still there.
    tsPreCompilationDeps: true,
    // Only src/ is on the stairs (its imports of packages are not), and only src/ need be read or hashed. The
    // pattern matches the folder itself too: the content cache walks from '.', and '^src/' stopped it at `src`,
    // so no file was ever hashed and the second run's verdict was kept for every run after.
    includeOnly: '^src(/|$)',
    // The cache holds each run's verdict, not only the import graph, and knows nothing of this table: keyed by
    // the rules, a changed table is a fresh run.
    cache: {
      folder: `node_modules/.cache/dependency-cruiser/${createHash('sha256').update(JSON.stringify(units)).digest('hex').slice(0, 16)}`,
      strategy: 'content',
    },
  },
};
