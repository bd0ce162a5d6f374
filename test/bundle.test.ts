/**
 * The Claude Desktop bundle (MCPB) and the npm package: the manifest is valid and says what the code does, the
 * bundle runs on its own from a temporary folder, and a production install works without dev dependencies.
 * Offline: the bundle is packed for this platform from the installed node_modules.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { getMcpConfigForManifest, MANIFEST_SCHEMAS, unpackExtension, validateManifest } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, bundleManifest, manifestTools } from '../scripts/bundle.js';
import { defaultOutputDir, loadConfig } from '../src/config.js';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { MODEL_TOOLS } from '../src/tools/index.js';
import { call, image, ROOT, simEnv, startSim, tempDir, textOf } from './helpers.js';

const manifestPath = path.join(ROOT, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
type UserConfig = Record<string, { default?: unknown; min?: number; max?: number }>;

/** The environment Claude Desktop gives the server for these settings (mcpb's own substitution code). */
async function clientConfig(extensionPath: string, userConfig: Record<string, string | number>) {
  const config = await getMcpConfigForManifest({
    manifest: bundleManifest() as never,
    extensionPath,
    systemDirs: { HOME: extensionPath, DESKTOP: extensionPath, DOCUMENTS: extensionPath, DOWNLOADS: extensionPath },
    userConfig,
    pathSeparator: path.sep,
  });
  if (!config) throw new Error('mcpb built no server config (a required setting missing?)');
  return config;
}

describe('manifest.json', () => {
  it('is a valid MCPB 0.3 manifest, as the repo holds it and as the bundle ships it', () => {
    expect(manifest.manifest_version).toBe('0.3');
    expect(validateManifest(manifestPath)).toBe(true);
    expect(MANIFEST_SCHEMAS['0.3'].safeParse(bundleManifest()).success).toBe(true);
  });

  it('lists exactly the tools of src/tools/index.ts, and the version and Node range of package.json', () => {
    expect(manifest.tools, `manifest.json "tools" should be:\n${JSON.stringify(manifestTools(), null, 2)}`).toEqual(manifestTools());
    expect(manifest.tools.map((t: { name: string }) => t.name)).toEqual(MODEL_TOOLS.map((t) => t.name));
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.compatibility.runtimes.node).toBe(pkg.engines.node);
    expect(manifest.compatibility.platforms).toEqual(['darwin', 'win32', 'linux']);
  });

  it("passes the token, and the defaults of the optional settings are the server's own", async () => {
    const userConfig = manifest.user_config as UserConfig;
    const { command, args, env } = await clientConfig('/opt/bundle', { runcomfy_api_token: 'tok-123' });
    expect(command).toBe('node');
    expect(args).toEqual(['/opt/bundle/dist/server.js']);
    // Settings left alone arrive as their defaults: no unfilled "${user_config.…}" reaches the server.
    expect(env).toEqual({ RUNCOMFY_API_TOKEN: 'tok-123', KLING_MCP_OUTPUT_DIR: '', KLING_MCP_MAX_WAIT_S: '50', KLING_MCP_IMAGE_DIRS: '' });
    const config = loadConfig(env);
    expect(config.problems).toEqual([]);
    expect(config.outputDir).toBe(path.resolve(defaultOutputDir()));
    expect(config.maxWaitS).toBe(loadConfig({}).maxWaitS);
    expect(config.imageDirs).toEqual(loadConfig({}).imageDirs);
    const wait = userConfig.max_wait_s!;
    // The settings page allows exactly the range the server accepts.
    expect(loadConfig({ KLING_MCP_MAX_WAIT_S: String(wait.min) })).toMatchObject({ maxWaitS: wait.min, problems: [] });
    expect(loadConfig({ KLING_MCP_MAX_WAIT_S: String(wait.max) })).toMatchObject({ maxWaitS: wait.max, problems: [] });
    expect(loadConfig({ KLING_MCP_MAX_WAIT_S: String(wait.max! + 1) }).problems).toHaveLength(1);
    const chosen = await clientConfig('/opt/bundle', { runcomfy_api_token: 'tok-123', output_dir: '/films', max_wait_s: 120, image_dir: '/frames' });
    expect(chosen.env).toEqual({ RUNCOMFY_API_TOKEN: 'tok-123', KLING_MCP_OUTPUT_DIR: '/films', KLING_MCP_MAX_WAIT_S: '120', KLING_MCP_IMAGE_DIRS: '/frames' });
    expect(loadConfig(chosen.env)).toMatchObject({ imageDirs: [path.resolve('/frames')], problems: [] });
  });
});

describe('kling-o1-mcp.mcpb (this platform, offline)', () => {
  const tmp = tempDir('kling-bundle-');
  const unpacked = path.join(tmp.dir, 'installed');
  let sim: RunComfySimulator;
  let bytes = 0;

  beforeAll(async () => {
    sim = await startSim();
    ({ bytes } = await buildBundle({ platforms: [`${process.platform}-${process.arch}`], outFile: path.join(tmp.dir, 'kling-o1-mcp.mcpb') }));
    expect(await unpackExtension({ mcpbPath: path.join(tmp.dir, 'kling-o1-mcp.mcpb'), outputDir: unpacked, silent: true })).toBe(true);
  }, 120_000);
  afterAll(async () => {
    await sim?.stop();
    tmp.cleanup();
  });

  it('holds the manifest, the server and only production dependencies; no source maps', () => {
    const shipped = JSON.parse(readFileSync(path.join(unpacked, 'manifest.json'), 'utf8'));
    expect(shipped.tools).toEqual(manifestTools());
    expect(bytes).toBeGreaterThan(0);
    const has = (p: string) => existsSync(path.join(unpacked, p));
    expect(has('dist/server.js')).toBe(true);
    expect(has('node_modules/sharp/package.json')).toBe(true);
    expect(has(`node_modules/@img/sharp-${process.platform}-${process.arch}/package.json`)).toBe(true);
    expect(has('node_modules/typescript/package.json')).toBe(false);
    expect(has('node_modules/vitest/package.json')).toBe(false);
    expect(has('dist/server.js.map')).toBe(false);
    expect(has('dist/simulator/simulator.js')).toBe(false);
    expect(has('dist/app.js')).toBe(false); // bundled into the bin
  });

  it("runs from its own folder: lists the tools and refuses a too-wide frame with the seed's text (sharp loads)", async () => {
    const { args, env } = await clientConfig(unpacked, {
      runcomfy_api_token: simEnv(sim, tmp.dir).RUNCOMFY_API_TOKEN!,
      output_dir: path.join(tmp.dir, 'videos'),
    });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: args ?? [],
      cwd: unpacked,
      // The simulator stands in for RunComfy; everything the manifest sets comes from the manifest.
      env: Object.fromEntries(
        Object.entries({ PATH: process.env.PATH, HOME: tmp.dir, ...simEnv(sim, tmp.dir), ...env }).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'bundle-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(MODEL_TOOLS.map((t) => t.name));
      const r = await call(client, 'generate_video', {
        prompt: '@Image1 dawn over the bay until @Image2',
        start_image_url: sim.host('start.png', await image(640, 360), 'image/png'),
        end_image_url: sim.host('wide.png', await image(1200, 320), 'image/png'),
      });
      expect(r.isError, stderr).toBe(true);
      expect(textOf(r)).toContain('end_image_url: The aspect ratio range should be between 0.40 and 2.50. (got 3.75)');
      expect(sim.submissions).toBe(0);
    } finally {
      await client.close();
    }
  });
});

describe('npm package', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = promisify(execFile);

  it('holds the bundled server, the player page, README and LICENSE; no sources, maps, other modules or simulator', async () => {
    // --ignore-scripts: `prepare` would rebuild dist/ under the other test files' feet.
    const { stdout } = await run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, shell: process.platform === 'win32' });
    const files: string[] = JSON.parse(stdout)[0].files.map((f: { path: string }) => f.path);
    const shipped = ['LICENSE', 'README.md', 'package.json', pkg.bin['kling-o1-mcp'], 'dist/player.html'];
    expect(files).toEqual(expect.arrayContaining(shipped));
    // The bin is an esbuild bundle: it and its chunks are all the code there is to ship (and the player, one HTML file).
    expect(files.filter((f) => !shipped.includes(f) && !/^dist\/chunks\/[^/]+\.js$/.test(f))).toEqual([]);
  });

  it('`npm ci --omit=dev` works in a clean copy of the project (offline, from the npm cache)', async (ctx) => {
    const clone = tempDir('kling-prod-install-');
    try {
      for (const f of ['package.json', 'package-lock.json', 'scripts']) cpSync(path.join(ROOT, f), path.join(clone.dir, f), { recursive: true });
      let out: { stdout: string; stderr: string };
      try {
        out = await run(npm, ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: clone.dir, shell: process.platform === 'win32' });
      } catch (err) {
        const text = String((err as { stderr?: string }).stderr ?? err);
        // A machine whose npm cache lacks the packages cannot prove anything offline.
        if (/ENOTCACHED/.test(text)) return ctx.skip();
        throw new Error(text, { cause: err });
      }
      expect(out.stderr).toContain('TypeScript is not installed (production install)');
      const has = (p: string) => existsSync(path.join(clone.dir, 'node_modules', p, 'package.json'));
      expect(has('sharp')).toBe(true);
      expect(has('@modelcontextprotocol/sdk')).toBe(true);
      expect(has('typescript')).toBe(false);
    } finally {
      clone.cleanup();
    }
  }, 120_000);
});
