#!/usr/bin/env node
/**
 * `npm test`'s checks side by side: runs each argument as a shell command at once and fails if any failed. The
 * tests (the last command) print as they run; the others (eslint, prettier, tsc: each single-threaded) print their
 * output whole when they end, so they fill the cores the tests leave idle while they wait on servers they spawned.
 * Plain JavaScript, no dependency.
 */
import { spawn } from 'node:child_process';

const commands = process.argv.slice(2);
const runs = commands.map(
  (command, i) =>
    new Promise((resolve) => {
      const live = i === commands.length - 1;
      const child = spawn(command, { shell: true, stdio: ['ignore', live ? 'inherit' : 'pipe', live ? 'inherit' : 'pipe'] });
      const out = [];
      child.stdout?.on('data', (d) => out.push(d));
      child.stderr?.on('data', (d) => out.push(d));
      child.on('close', (code, signal) => {
        if (!live) process.stdout.write(Buffer.concat(out));
        resolve({ command, code: code ?? (signal ? 1 : 0) });
      });
    }),
);

let failed = 0;
for (const { command, code } of await Promise.all(runs)) {
  if (code !== 0) {
    process.stderr.write(`\`${command}\` failed (exit ${code}).\n`);
    failed = code;
  }
}
process.exit(failed);
