import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

describe('ARCHITECTURE.md', () => {
  it('names every folder under src/ and every file at its top', () => {
    const doc = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
    const entries = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true });
    for (const dir of entries.filter((e) => e.isDirectory())) expect(doc, dir.name).toContain(`\`src/${dir.name}/\``);
    for (const file of entries.filter((e) => e.isFile())) expect(doc, file.name).toContain(`\`${file.name}\``);
  });
});
