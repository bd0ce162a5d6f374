/**
 * The README's client setup must work as written. Every `claude mcp add` command (in the README and in the
 * missing-token message) is checked against the Claude Code CLI's argument rules, and every JSON config block must
 * start this server with documented settings. Offline: no client is installed or run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_DOCS } from '../src/config.js';
import { MISSING_TOKEN_MESSAGE } from '../src/errors.js';
import { ROOT } from './helpers.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'manifest.json'), 'utf8'));
const SERVER_NAME = 'kling-o1';
const SERVER_JS = pkg.bin['kling-o1-mcp'] as string;
const documented = new Set(ENV_DOCS.map((e) => e.name));

interface McpAdd {
  name: string;
  env: Record<string, string>;
  command: string[];
}

/**
 * `claude mcp add <name> <commandOrUrl> [args...]` as Claude Code's parser reads it: `-e/--env` and `-H/--header`
 * take every following word up to the next option, so a name written after them is read as one more KEY=VALUE
 * ("Invalid environment variable format: kling-o1"). Hence the rules: the name first, options, `--`, the command.
 */
export function parseMcpAdd(line: string): McpAdd {
  const words = (line.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^(['"])([\s\S]*)\1$/, '$2'));
  if (words.slice(0, 3).join(' ') !== 'claude mcp add') throw new Error(`not a claude mcp add command: ${line}`);
  const variadic = new Set(['-e', '--env', '-H', '--header']);
  const oneValue = new Set(['-s', '--scope', '-t', '--transport', '--client-id', '--callback-port']);
  const positionals: string[] = [];
  const env: Record<string, string> = {};
  let command: string[] | undefined;
  for (let i = 3; i < words.length;) {
    const w = words[i++]!;
    if (w === '--') {
      command = words.slice(i);
      break;
    }
    if (variadic.has(w)) {
      const values: string[] = [];
      while (i < words.length && !words[i]!.startsWith('-')) values.push(words[i++]!);
      if (values.length === 0) throw new Error(`${w} needs a value`);
      if (w === '-e' || w === '--env') {
        for (const v of values) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(v);
          if (!m) throw new Error(`Invalid environment variable format: ${v}`);
          env[m[1]!] = m[2]!;
        }
      }
    } else if (oneValue.has(w)) {
      if (i >= words.length) throw new Error(`${w} needs a value`);
      i++;
    } else if (w.startsWith('-')) {
      throw new Error(`unknown option ${w}`);
    } else {
      positionals.push(w);
    }
  }
  if (!command?.length) throw new Error(`no \`-- command\` in: ${line}`);
  if (positionals.length !== 1) throw new Error(`expected only the server name before \`--\`, got ${JSON.stringify(positionals)}`);
  return { name: positionals[0]!, env, command };
}

function expectRunsThisServer(add: McpAdd): void {
  expect(add.name).toBe(SERVER_NAME);
  expect(add.command[0]).toBe('node');
  expect(add.command[1]).toMatch(new RegExp(`/${SERVER_JS.replace('.', '\\.')}$`));
  expect(Object.keys(add.env)).toContain('RUNCOMFY_API_TOKEN');
  for (const key of Object.keys(add.env)) expect(documented, key).toContain(key);
}

const readmeCommands = [...readme.matchAll(/claude mcp add\b[^`\n]*/g)].map((m) => m[0].trim());
const jsonBlocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes(`"${SERVER_NAME}"`));

describe('README: connecting clients', () => {
  it('the argument rules catch the form that failed ("--env" before the name swallows it)', () => {
    expect(() => parseMcpAdd('claude mcp add --transport stdio --env RUNCOMFY_API_TOKEN=t kling-o1 -- node /x/dist/server.js')).toThrow(
      'Invalid environment variable format: kling-o1',
    );
    // Without `--`, -e swallows the command too (the CLI: "missing required argument 'commandOrUrl'").
    expect(() => parseMcpAdd('claude mcp add kling-o1 -e RUNCOMFY_API_TOKEN=t node /x/dist/server.js')).toThrow();
    expect(parseMcpAdd('claude mcp add kling-o1 -s project -e A=1 -e B=2 -- node /x/dist/server.js')).toEqual({
      name: 'kling-o1',
      env: { A: '1', B: '2' },
      command: ['node', '/x/dist/server.js'],
    });
  });

  it('every `claude mcp add` command in the README follows them and starts this server', () => {
    expect(readmeCommands.length).toBeGreaterThan(0);
    for (const line of readmeCommands) expectRunsThisServer(parseMcpAdd(line));
  });

  it("the missing-token message gives a working command and the bundle's own setting names", () => {
    const [line] = /claude mcp add[^`]*/.exec(MISSING_TOKEN_MESSAGE) ?? [];
    expectRunsThisServer(parseMcpAdd(line!));
    expect(MISSING_TOKEN_MESSAGE).toContain(manifest.display_name);
    expect(MISSING_TOKEN_MESSAGE).toContain(manifest.user_config.runcomfy_api_token.title);
  });

  it('every JSON config block parses and starts this server with documented settings', () => {
    expect(jsonBlocks.length).toBeGreaterThanOrEqual(4);
    for (const block of jsonBlocks) {
      const config = JSON.parse(block);
      const server = (config.mcpServers ?? config.servers)[SERVER_NAME];
      expect(server.command).toBe('node');
      expect(server.args).toHaveLength(1);
      expect(server.args[0]).toMatch(new RegExp(`/${SERVER_JS.replace('.', '\\.')}$`));
      for (const [key, value] of Object.entries(server.env as Record<string, string>)) {
        expect(documented, key).toContain(key);
        // VS Code: a ${input:id} needs its input, secret ones masked; elsewhere ${VAR} expands the same variable.
        const input = /^\$\{input:([^}]+)\}$/.exec(value)?.[1];
        if (input) expect(config.inputs).toContainEqual(expect.objectContaining({ id: input, type: 'promptString', password: true }));
        const expanded = /^\$\{([A-Z_]+)\}$/.exec(value)?.[1];
        if (expanded) expect(expanded).toBe(key);
      }
      if (config.servers) expect(server.type).toBe('stdio');
    }
  });

  it('a shared .mcp.json takes the token from the environment, not the file', () => {
    expect(jsonBlocks.some((b) => b.includes('"RUNCOMFY_API_TOKEN": "${RUNCOMFY_API_TOKEN}"'))).toBe(true);
  });

  it('the bundle comes first for Claude Desktop, and the README says how to build it', () => {
    expect(readme.indexOf('kling-o1-mcp-darwin-arm64.mcpb')).toBeGreaterThan(-1);
    expect(readme.indexOf('kling-o1-mcp-darwin-arm64.mcpb')).toBeLessThan(readme.indexOf('claude_desktop_config.json'));
    expect(readme).toContain('npm run bundle');
    expect(pkg.scripts.bundle).toBeDefined();
  });
});
