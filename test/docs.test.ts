import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_DOCS } from '../src/config.js';
import { DEFAULT_MODEL } from '../src/models/registry.js';
import { modelSchemaDocument } from '../src/resources/model-schema.js';
import { MODEL_TOOLS } from '../src/tools/index.js';
import { ROOT } from './helpers.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
// The API contract sits beside the clone in this team's workspace; a lone clone skips that comparison.
const seedPath = path.join(ROOT, '..', 'shared', 'seed', 'runcomfy-kling-o1-image-to-video.md');
const seed = existsSync(seedPath) ? readFileSync(seedPath, 'utf8') : '';

describe('docs and schema stay in step with the code', () => {
  it('the README documents every environment variable the server reads', () => {
    for (const e of ENV_DOCS) expect(readme, e.name).toContain(`\`${e.name}\``);
  });

  it("the README's tool table has one row per tool the server registers", () => {
    expect(readme).toContain('\n## Tools\n');
    const section = readme.slice(readme.indexOf('\n## Tools\n')).split(/\n#{2,3} /)[1]!;
    const rows = section.split('\n').filter((line) => /^\|\s*`/.test(line));
    const named = rows.map((line) => /^\|\s*`([^`]+)`/.exec(line)![1]);
    expect(named.sort()).toEqual(MODEL_TOOLS.map((t) => t.name).sort());
  });

  it.skipIf(!seed)("the seed's module carries its published input schema verbatim, and its frames' rules and file types are the schema's", () => {
    const seedSchema = JSON.parse(seed.slice(seed.indexOf('{\n  "type": "object"'), seed.indexOf('Output schema')).trim());
    expect(DEFAULT_MODEL.schema).toEqual(seedSchema);
    expect(modelSchemaDocument().input).toEqual(seedSchema);
    const fields = Object.keys(DEFAULT_MODEL.images) as (keyof typeof DEFAULT_MODEL.images)[];
    expect(fields).toEqual(['start_image_url', 'end_image_url']);
    for (const field of fields) {
      expect(DEFAULT_MODEL.images[field].rules).toEqual(seedSchema.properties[field].validations);
      expect(seedSchema.properties[field].description).toContain(`Accepted file types: ${DEFAULT_MODEL.images[field].types.join(', ')}.`);
    }
  });

  it('the CI script runs the test command the README gives', () => {
    const ci = readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toContain('npm ci');
    expect(ci).toContain('npm test');
    expect(readme).toContain('npm test');
  });
});
