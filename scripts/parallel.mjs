#!/usr/bin/env node
/**
 * `npm test`'s checks side by side: runs each argument as a shell command at once (eslint, prettier and tsc are each
 * single-threaded, and the machine has two cores), prints each one's output whole when it ends, in the order given,
 * and fails if any failed. Plain JavaScript, no dependency.
 */
import { spawn } from 'node:child_process';

const runs = process.argv.slice(2).map(
  (command) =>
    new Promise((resolve) => {
      const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = [];
      child.stdout.on('data', (d) => out.push(d));
      child.stderr.on('data', (d) => out.push(d));
      child.on('close', (code, signal) => resolve({ command, code: code ?? (signal ? 1 : 0), out: Buffer.concat(out) }));
    }),
);

let failed = 0;
for (const run of runs) {
  const { command, code, out } = await run;
  process.stdout.write(out);
  if (code !== 0) {
    process.stderr.write(`\`${command}\` failed (exit ${code}).\n`);
    failed = code;
  }
}
process.exit(failed);
