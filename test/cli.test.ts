/**
 * The bin as a terminal command: --help, --version and a mistake answer at once and exit, without reading stdin
 * (runBin leaves it open); with no arguments it is the stdio server (every stdio test).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_VERSION } from '../src/app.js';
import { commandOf } from '../src/cli/command.js';
import { ENV_DOCS } from '../src/config.js';
import { ROOT, runBin } from './helpers.js';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; homepage: string };
// No per-test limit: a bin that waited on stdin would hang until the suite's testTimeout, which bounds a hang without
// measuring how fast a loaded machine starts node (there, one spawn can take several seconds).

describe('the bin as a command', () => {
  it('--help prints the usage, every environment variable with its default, and the README, and exits 0', async () => {
    const r = await runBin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const v of ENV_DOCS) expect(r.stdout).toContain(`${v.name}, default ${v.default.replaceAll('`', '')}`);
    expect(r.stdout).toContain(pkg.homepage);
    expect(r.stdout).toMatch(/Usage:/);
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await runBin(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    // What the server tells MCP clients in its handshake is the same version.
    expect(SERVER_VERSION).toBe(pkg.version);
  });

  it('an unknown flag prints the usage to stderr and exits non-zero, with nothing on stdout', async () => {
    const r = await runBin(['--verbose']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Unknown option '--verbose'\.\n/);
    expect(r.stderr).toContain('Usage:');
  });
});

describe('commandOf', () => {
  it('serves with no arguments, and names what it does not know', () => {
    expect(commandOf([])).toEqual({ run: 'serve' });
    expect(commandOf(['-h'])).toEqual({ run: 'help' });
    expect(commandOf(['-v'])).toEqual({ run: 'version' });
    expect(commandOf(['doctor'])).toEqual({ run: 'doctor' });
    expect(commandOf(['doctor', 'now'])).toEqual({ run: 'mistake', problem: 'Unknown command "doctor now".' });
    expect(commandOf(['serve'])).toEqual({ run: 'mistake', problem: 'Unknown command "serve".' });
    expect(commandOf(['--version=2'])).toMatchObject({ run: 'mistake' });
  });
});
