import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ROOT, tempDir } from './helpers.js';

/** The layer check exactly as `npm run lint` runs it (its arguments read from package.json), in the folder `cwd`. */
async function lintLayers(cwd: string): Promise<{ code: number; violations: string[] }> {
  const lint = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { lint: string } }).scripts.lint;
  const args = /(?:^|&& )depcruise ([^&]+)/.exec(lint)?.[1]?.trim().split(/\s+/);
  if (!args) throw new Error('npm run lint no longer runs depcruise: update this test with the new layer check');
  const bin = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  try {
    await promisify(execFile)(process.execPath, [bin, ...args], { cwd });
    return { code: 0, violations: [] };
  } catch (err) {
    const { code, stdout } = err as { code: number; stdout: string };
    // err-long's first line of each: "  error <rule>: <from> → <to>", or "<from>" alone for a module-wide rule.
    return { code, violations: [...stdout.matchAll(/^\s*error (layers: [^:]+): (.+)$/gm)].map((m) => `${m[1]}: ${m[2]}`).sort() };
  }
}

describe('ARCHITECTURE.md', () => {
  it('its Layers table holds every file of src/, and no import climbs it (npm run lint passes on the tree)', async () => {
    expect(await lintLayers(ROOT)).toEqual({ code: 0, violations: [] });
  });

  it('names every folder under src/ and every file at its top', () => {
    const doc = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
    const entries = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true });
    for (const dir of entries.filter((e) => e.isDirectory())) expect(doc, dir.name).toContain(`\`src/${dir.name}/\``);
    for (const file of entries.filter((e) => e.isFile())) expect(doc, file.name).toContain(`\`${file.name}\``);
  });
});

describe("the layer check of npm run lint (.dependency-cruiser.mjs, from ARCHITECTURE.md's table)", () => {
  it('fails an upward import of every form, a sideways one, a file in no unit and a player import; passes the rest', async () => {
    const { dir, cleanup } = tempDir('kling-layers-');
    onTestFinished(cleanup);
    const rows = [
      '| 1 | `src/jobs/phase.ts` | a file below its folder |',
      '| 2 | `src/util/` | low |',
      '| 3 | `src/jobs/` | mid |',
      '| 4 | `src/tools/`, `src/resources/`, `src/player/` | top (the player imports only `jobs/phase.ts`) |',
    ];
    const files: Record<string, string> = {
      // The project's rules, made from this tree's table.
      '.dependency-cruiser.mjs': `export { default } from ${JSON.stringify(pathToFileURL(path.join(ROOT, '.dependency-cruiser.mjs')).href)};\n`,
      'ARCHITECTURE.md': `# x\n\n## Layers\n\n| layer | units | what |\n| --- | --- | --- |\n${rows.join('\n')}\n\n## Next\n`,
      // Down, or within a unit, in every form: none of these is reported.
      'src/jobs/phase.ts': 'export const p = 1;\n',
      'src/util/a.ts': "import { p } from '../jobs/phase.js';\nexport const a = p;\n",
      'src/jobs/j.ts':
        "import type { a as A } from '../util/a.js';\nimport '../util/a.js';\nimport { k } from './k.js';\nexport { a } from '../util/a.js';\n" +
        "export const j: typeof A = k + (await import('../util/a.js')).a;\n",
      'src/jobs/k.ts': 'export const k = 1;\n',
      'src/tools/t.ts': "export * from '../jobs/j.js';\n",
      'src/resources/r.ts': 'export const r = 1;\n',
      'src/player/main.ts': "import { p } from '../jobs/phase.js';\nexport const m = p;\n",
      // Up, in each form of import.
      'src/util/side-effect.ts': "import '../tools/t.js';\n",
      'src/util/dynamic.ts': "export const d = await import('../jobs/j.js');\n",
      'src/util/type-only.ts': "import type { j } from '../jobs/j.js';\nexport type J = typeof j;\n",
      'src/util/re-export.ts': "export { t } from '../tools/t.js';\n",
      // Sideways between two units of one row; a file in no unit; the player reaching past phase.ts.
      'src/tools/sideways.ts': "import { r } from '../resources/r.js';\nexport const s = r;\n",
      'src/stray/s.ts': 'export const s = 1;\n',
      'src/player/util.ts': "import { a } from '../util/a.js';\nexport const u = a;\n",
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const { code, violations } = await lintLayers(dir);
    expect(code).not.toBe(0);
    expect(violations).toEqual(
      [
        'layers: src/util/ (layer 2): src/util/side-effect.ts → src/tools/t.ts',
        'layers: src/util/ (layer 2): src/util/dynamic.ts → src/jobs/j.ts',
        'layers: src/util/ (layer 2): src/util/type-only.ts → src/jobs/j.ts',
        'layers: src/util/ (layer 2): src/util/re-export.ts → src/tools/t.ts',
        'layers: src/tools/ (layer 4): src/tools/sideways.ts → src/resources/r.ts',
        'layers: in no unit: src/stray/s.ts',
        'layers: the player is browser code: src/player/util.ts → src/util/a.ts',
      ].sort(),
    );
  });

  it('sees every change on its next run: its cache is keyed by the files, not only by its rules', async () => {
    // A cache that never looked inside src/ (includeOnly '^src/' skipped the folder itself) kept the second run's
    // verdict for good: an import added later passed the lint.
    const { dir, cleanup } = tempDir('kling-layers-cache-');
    onTestFinished(cleanup);
    const table = '| 1 | `src/util/` | low |\n| 2 | `src/tools/` | top |';
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    write('.dependency-cruiser.mjs', `export { default } from ${JSON.stringify(pathToFileURL(path.join(ROOT, '.dependency-cruiser.mjs')).href)};\n`);
    write('ARCHITECTURE.md', `# x\n\n## Layers\n\n| layer | units | what |\n| --- | --- | --- |\n${table}\n`);
    write('src/tools/t.ts', 'export const t = 1;\n');
    const up = "import '../tools/t.js';\nexport const a = 1;\n";
    const down = 'export const a = 1;\n';
    const verdicts = [];
    for (const text of [up, down, up]) {
      write('src/util/a.ts', text);
      verdicts.push((await lintLayers(dir)).violations);
    }
    const climb = ['layers: src/util/ (layer 1): src/util/a.ts → src/tools/t.ts'];
    expect(verdicts).toEqual([climb, [], climb]);
  });
});
