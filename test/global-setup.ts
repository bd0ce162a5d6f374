/**
 * The stdio tests run the built bin (the bundle, as shipped), so bundle it once before any test runs. Only the bin:
 * `npm test` has run tsc already, and a second compile of src/ here would cost the suite a quarter of its time.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--bin-only'], { stdio: 'inherit' });
}
