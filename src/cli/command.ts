/**
 * What the bin was asked to do, from its arguments: serve MCP on stdio (no arguments: how a client starts it),
 * print its usage or version, or check the setup (`doctor`). The usage lists every environment variable with its default, from
 * config.ts's ENV_DOCS, so the two cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ENV_DOCS } from '../config.js';

export type Command = { run: 'serve' | 'help' | 'version' | 'doctor' } | { run: 'mistake'; problem: string };

/** The package's own facts the bin answers with: read from the package.json beside dist/, the one place they are written. */
export interface PackageInfo {
  name: string;
  version: string;
  homepage: string;
  /** package.json's `engines.node`, e.g. ">=20.19". */
  node: string;
}

export function commandOf(args: readonly string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    // Node's message goes on to explain `--` for positionals starting with '-': noise for this command's few words.
    return { run: 'mistake', problem: /^[^.]*\.?/.exec((err as Error).message)![0] };
  }
  const { values, positionals } = parsed;
  if (values.help) return { run: 'help' };
  if (values.version) return { run: 'version' };
  if (positionals.length === 0) return { run: 'serve' };
  if (positionals.length === 1 && positionals[0] === 'doctor') return { run: 'doctor' };
  return { run: 'mistake', problem: `Unknown command "${positionals.join(' ')}".` };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    allowPositionals: true,
    strict: true,
  });
}

/** package.json of the package a module at `moduleUrl` ships in; the bin passes its own URL (dist/server.js). */
export function readPackageInfo(moduleUrl: string): PackageInfo {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as {
    name: string;
    version: string;
    homepage: string;
    engines: { node: string };
  };
  return { name: pkg.name, version: pkg.version, homepage: pkg.homepage, node: pkg.engines.node };
}

/** The usage text: the commands, every environment variable with its default, and where the README is. */
export function usage(pkg: PackageInfo): string {
  // Markdown's code quotes mean nothing in a terminal.
  const plain = (s: string) => s.replaceAll('`', '');
  const variables = ENV_DOCS.map((v) => `  ${v.name}, default ${plain(v.default)}\n      ${plain(v.meaning)}`).join('\n');
  return `${pkg.name} ${pkg.version}: an MCP server that turns a start frame and an end frame into a video with Kling on the RunComfy Model API.

Usage:
  ${pkg.name}             serve MCP on stdio (how an MCP client starts it)
  ${pkg.name} doctor      check the setup without spending anything: token, balance, every model's live schema,
                          folders, ledger, Node (exit 0: ready; 1: a problem; 2: something could not be checked)
  ${pkg.name} --help      this text
  ${pkg.name} --version   the version

Environment variables (set them in the "env" block of your MCP client's config):
${variables}

README: ${pkg.homepage}
`;
}
