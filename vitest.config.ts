import { existsSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The benchmark and the slowest end-to-end checks (the demo, the bundle, the player in Chromium) run only in `npm run test:slow`
 * (`vitest run --mode slow`), which CI runs after `npm test`; everything else is `npm test`.
 */
const SLOW = ['test/bench.test.ts', 'test/demo.test.ts', 'test/bundle.test.ts', 'test/player-browser.test.ts'];

export default defineConfig(({ mode }) => ({
  test: {
    // Temp folders in memory where Linux has it: the ledger syncs every event to disk, which on a shared disk is
    // much of a test's time; the code and its syncs are the same.
    // The slow files (a 500 MB download among them) keep the disk.
    env: mode !== 'slow' && existsSync('/dev/shm') ? { TMPDIR: '/dev/shm' } : {},
    include: mode === 'slow' ? SLOW : ['test/**/*.test.ts'],
    exclude: mode === 'slow' ? configDefaults.exclude : [...configDefaults.exclude, ...SLOW],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: the stdio tests spawn servers, so keep file parallelism modest.
    maxWorkers: 2,
    // A worker's files share its module cache: importing the SDK, zod, sharp, mediabunny and libsql once per worker
    // rather than once per file saves about half the suite's CPU. Every file builds its own servers, simulators and
    // folders (test/lab.ts), and the one process-wide registry a test adds to (a test-only model) is emptied again
    // after its file.
    isolate: false,
    reporters: ['default', './test/summary-reporter.ts'],
    // A snapshot is written only when asked (-u): a new tool's definition fails the suite until it is reviewed and
    // written, as a changed one does (vitest would otherwise write a missing snapshot and pass, outside CI).
    update: 'none',
  },
}));
