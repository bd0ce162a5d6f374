import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without types; its two exports are used as documented there.
import { checkLayers } from '../scripts/check-layers.mjs';
import { ROOT, tempDir } from './helpers.js';

describe('ARCHITECTURE.md', () => {
  it('names every folder under src/ and every file at its top', () => {
    const doc = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
    const entries = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true });
    for (const dir of entries.filter((e) => e.isDirectory())) expect(doc, dir.name).toContain(`\`src/${dir.name}/\``);
    for (const file of entries.filter((e) => e.isFile())) expect(doc, file.name).toContain(`\`${file.name}\``);
  });
});

describe('the layer rule (scripts/check-layers.mjs)', () => {
  const layers = (rows: string[]) => `# x\n\n## Layers\n\n| layer | units | what |\n| --- | --- | --- |\n${rows.join('\n')}\n\n## Next\n`;
  function tree(files: Record<string, string>, rows: string[]): string {
    const { dir } = tempDir('kling-layers-');
    writeFileSync(path.join(dir, 'ARCHITECTURE.md'), layers(rows));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    return dir;
  }
  const rows = [
    '| 1 | `src/jobs/phase.ts` | a file below its folder |',
    '| 2 | `src/util/` | low |',
    '| 3 | `src/jobs/` | mid |',
    '| 4 | `src/tools/`, `src/resources/` | top |',
  ];

  it('passes imports that go down or stay in their unit, type-only ones included', () => {
    const dir = tree(
      {
        'src/util/a.ts': "import { p } from '../jobs/phase.js';",
        'src/jobs/phase.ts': 'export const p = 1;',
        'src/jobs/j.ts': "import type { A } from '../util/a.js';\nimport { k } from './k.js';",
        'src/jobs/k.ts': 'export const k = 1;',
        'src/tools/t.ts': "export { j } from '../jobs/j.js';\nconst m = await import('../util/a.js');",
      },
      rows,
    );
    expect(checkLayers(dir)).toEqual([]);
  });

  it('fails an upward import, a sideways one between units of one row, and a file no layer holds', () => {
    const dir = tree(
      {
        'src/util/a.ts': "import type { J } from '../jobs/j.js';",
        'src/jobs/j.ts': "const t = await import('../tools/t.js');",
        'src/tools/t.ts': "import { r } from '../resources/r.js';",
        'src/resources/r.ts': 'export const r = 1;',
        'src/stray/s.ts': 'export const s = 1;',
      },
      rows,
    );
    const problems: string[] = checkLayers(dir);
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/src\/util\/a\.ts imports \.\.\/jobs\/j\.js: src\/util\/ \(layer 2\)/);
    expect(problems.join('\n')).toMatch(/src\/jobs\/j\.ts imports \.\.\/tools\/t\.js/);
    expect(problems.join('\n')).toMatch(/src\/tools\/t\.ts imports \.\.\/resources\/r\.js/);
    expect(problems.join('\n')).toMatch(/src\/stray\/s\.ts: not in any layer/);
  });
});
