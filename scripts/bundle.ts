/**
 * `npm run bundle`: builds kling-o1-mcp.mcpb, the one-click install for Claude Desktop (an MCP Bundle).
 *
 * The bundle holds manifest.json, an icon drawn from assets/icon.svg, dist/ and the production dependencies exactly
 * as package-lock.json pins them, plus the prebuilt binaries of sharp (`@img/*`) and libsql (`@libsql/*`) for the
 * platforms it is built for: npm installs only this machine's, so the others are fetched with `npm pack` (integrity
 * checked against the lockfile). The manifest's tool list and platforms are derived here, never written by hand.
 *
 *   npm run bundle                            one bundle per platform of BUNDLE_PLATFORMS (needs the npm registry once;
 *                                             then cached): all four in one came to 51 MB, over the directory's 50 MB
 *   npm run bundle -- --current-platform      this machine only, from node_modules alone (offline; the tests use it)
 *   npm run bundle -- --current-platform --out some/file.mcpb
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { packExtension, validateManifest } from '@anthropic-ai/mcpb';
import sharp from 'sharp';
import { MODEL_TOOLS } from '../src/tools/index.js';

/**
 * Runs an MCPB step and prints what it said only if it failed. The tools print their chatter with console.log even
 * when all is well ("Icon validation warnings: Icon validation passed. Recommended size is 512×512", for a 512×512
 * icon), twice per bundle.
 */
async function mcpbQuietly(step: () => boolean | Promise<boolean>): Promise<boolean> {
  const said: unknown[][] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void said.push(args);
  let ok = false;
  try {
    ok = await step();
    return ok;
  } finally {
    console.log = log;
    if (!ok) for (const args of said) console.error(...args);
  }
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Claude Desktop's platforms (macOS on Apple silicon and Intel, Windows, Linux), as `process.platform-arch`. */
export const BUNDLE_PLATFORMS = ['darwin-arm64', 'darwin-x64', 'win32-x64', 'linux-x64'] as const;
/** The directory's size budget for one bundle. */
export const MAX_BUNDLE_BYTES = 50 * 1024 * 1024;
export const ICON_SOURCE = path.join(ROOT, 'assets', 'icon.svg');
export const ICON_PX = 512;

interface LockEntry {
  version: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

/** The manifest's tool list, derived from the server's own definitions so the two cannot drift. */
export function manifestTools(): { name: string; description: string }[] {
  return MODEL_TOOLS.map((t) => ({ name: t.name, description: t.title }));
}

/** The systems (Claude Desktop's `compatibility.platforms`) of the `platform-arch` targets a bundle packs. */
export function systemsOf(platforms: readonly string[]): string[] {
  return [...new Set(platforms.map((p) => p.split('-')[0]!))];
}

/** manifest.json as it goes into the bundle: the repo's, with version, tools and platforms taken from their sources. */
export function bundleManifest(platforms: readonly string[] = BUNDLE_PLATFORMS): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'manifest.json'), 'utf8')) as { compatibility?: Record<string, unknown> } & Record<string, unknown>;
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
  // Claimed are exactly the systems whose binaries are packed, so Claude Desktop refuses the bundle elsewhere.
  return {
    ...manifest,
    version: pkg.version,
    tools: manifestTools(),
    compatibility: { ...manifest.compatibility, platforms: systemsOf(platforms), runtimes: { node: pkg.engines.node } },
  };
}

/** The prebuilt binaries a platform needs, as folders under node_modules/ (libsql names Linux and Windows builds by ABI). */
export function nativePackages(platform: string): string[] {
  const libsql: Record<string, string> = { 'linux-x64': 'linux-x64-gnu', 'linux-arm64': 'linux-arm64-gnu', 'win32-x64': 'win32-x64-msvc' };
  return [`@img/sharp-${platform}`, `@libsql/${libsql[platform] ?? platform}`];
}

/** The icon, drawn by sharp from the SVG the repo holds (so the build fetches nothing and the picture has a source). */
export async function renderIcon(outFile: string): Promise<void> {
  await sharp(readFileSync(ICON_SOURCE), { density: 300 }).resize(ICON_PX, ICON_PX).png().toFile(outFile);
}

/** Where a bundle goes by default: named for the platforms it packs, e.g. kling-o1-mcp-win32-x64.mcpb. */
export function bundleFile(platforms: readonly string[]): string {
  return path.join(ROOT, `kling-o1-mcp-${platforms.join('+')}.mcpb`);
}

/** sharp's prebuilt binaries: packages that npm installs only on their own os/cpu. */
function platformSpecific(entry: LockEntry): boolean {
  return entry.os !== undefined || entry.cpu !== undefined;
}

function fitsPlatform(where: string, entry: LockEntry, target: string): boolean {
  const [osName, cpu] = target.split('-');
  // Claude Desktop's Linux builds are glibc; the musl packages would only add weight (libsql says musl in the name only).
  const glibc = (entry.libc?.includes('glibc') ?? true) && !/musl/.test(where);
  return (entry.os?.includes(osName!) ?? true) && (entry.cpu?.includes(cpu!) ?? true) && glibc;
}

/** Files a running server never reads: types, sources, maps, docs, native build inputs. Licence notices stay. */
function shipped(file: string): boolean {
  const base = path.basename(file);
  // libvips (LGPL) states its licence in its README.
  if (/^(licen[cs]e|notice|copying|readme)/i.test(base)) return true;
  return !/\.(d\.[cm]?ts|[cm]?ts|map|md|markdown|cc|cpp|c|h|hpp|gyp|gypi|tsbuildinfo)$/i.test(base);
}

function copyShipped(from: string, to: string): void {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(from, src);
      if (rel.split(path.sep).some((part) => /^(test|tests|__tests__|docs?|examples?|\.github)$/i.test(part))) return false;
      return statSync(src).isDirectory() || shipped(src);
    },
  });
}

/** Extracts an npm tarball (ustar, as `npm pack` writes it) without a system tar: its `package/` folder into dest. */
export function untarPackage(tgz: Buffer, dest: string): void {
  const tar = gunzipSync(tgz);
  let paxPath: string | undefined;
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, to: number) => header.toString('utf8', from, to).replace(/\0[\s\S]*$/, '');
    const size = parseInt(field(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    const prefix = field(345, 500);
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    paxPath = undefined;
    if (type === '5' || type === 'g') continue;
    if (type !== '0' && type !== '\0') throw new Error(`unexpected entry type ${JSON.stringify(type)} for ${name} in an npm tarball`);
    const rel = name.replace(/^package\//, '');
    const target = path.resolve(dest, rel);
    if (!target.startsWith(path.resolve(dest) + path.sep)) throw new Error(`tarball entry escapes its folder: ${name}`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, body, { mode: parseInt(field(100, 108).trim() || '644', 8) & 0o777 });
  }
}

/** `npm pack name@version` into the cache (once), checked against the lockfile's integrity. */
function fetchTarball(name: string, entry: LockEntry, cacheDir: string): Buffer {
  mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, `${name.replace('@', '').replace('/', '-')}-${entry.version}.tgz`);
  if (!existsSync(file)) {
    const out = execFileSync('npm', ['pack', `${name}@${entry.version}`, '--json', '--pack-destination', cacheDir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      shell: process.platform === 'win32',
    });
    const [packed] = JSON.parse(out) as { integrity: string; filename: string }[];
    if (!packed || packed.integrity !== entry.integrity) {
      rmSync(path.join(cacheDir, packed?.filename ?? ''), { force: true });
      throw new Error(`${name}@${entry.version}: integrity ${packed?.integrity} does not match package-lock.json (${entry.integrity})`);
    }
  }
  return readFileSync(file);
}

export interface BundleOptions {
  /** `process.platform-arch` targets; only the current one needs no network. */
  platforms?: readonly string[];
  outFile?: string;
  cacheDir?: string;
  log?: (line: string) => void;
}

/** Stages and packs the bundle; returns its path and size. dist/ must be built. */
export async function buildBundle(opts: BundleOptions = {}): Promise<{ file: string; bytes: number; platforms: readonly string[] }> {
  const platforms = opts.platforms ?? BUNDLE_PLATFORMS;
  const outFile = path.resolve(opts.outFile ?? bundleFile(platforms));
  const cacheDir = opts.cacheDir ?? path.join(ROOT, 'node_modules', '.cache', 'kling-o1-mcp-bundle');
  const log = opts.log ?? (() => undefined);
  if (!existsSync(path.join(ROOT, 'dist', 'server.js'))) throw new Error('dist/server.js is missing: run `npm run build` first.');

  const stage = mkdtempSync(path.join(os.tmpdir(), 'kling-mcpb-'));
  try {
    writeFileSync(path.join(stage, 'manifest.json'), `${JSON.stringify(bundleManifest(platforms), null, 2)}\n`);
    await renderIcon(path.join(stage, 'icon.png'));
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    // Only what Node reads at run time: "type": "module" makes dist/*.js ES modules.
    const { name, version, description, type, license, engines } = pkg;
    writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify({ name, version, description, type, license, engines, private: true }, null, 2)}\n`);
    // The files the npm package ships (the bin, bundled by esbuild), so both installs run the same server.
    for (const f of ['LICENSE', 'README.md', ...(pkg.files as string[])]) cpSync(path.join(ROOT, f), path.join(stage, f), { recursive: true });

    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    for (const [where, entry] of Object.entries(lock.packages)) {
      if (!where.startsWith('node_modules/') || entry.dev) continue;
      const installed = path.join(ROOT, where);
      const target = path.join(stage, where);
      if (platformSpecific(entry)) {
        if (!platforms.some((p) => fitsPlatform(where, entry, p))) continue;
        if (existsSync(installed)) copyShipped(installed, target);
        else {
          const unpacked = mkdtempSync(path.join(os.tmpdir(), 'kling-pkg-'));
          const pkgName = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
          untarPackage(fetchTarball(pkgName, entry, cacheDir), unpacked);
          copyShipped(unpacked, target);
          rmSync(unpacked, { recursive: true, force: true });
        }
      } else if (existsSync(installed)) {
        copyShipped(installed, target);
      } else if (!entry.optional) {
        throw new Error(`${where} is in package-lock.json but not installed: run \`npm ci\` first.`);
      }
    }
    for (const p of platforms) {
      for (const binary of nativePackages(p)) {
        if (!existsSync(path.join(stage, 'node_modules', binary))) throw new Error(`${binary} (a prebuilt binary for ${p}) is not in package-lock.json`);
      }
    }

    // packExtension validates too, but says only "invalid": validate first so the reasons are printed.
    if (!(await mcpbQuietly(() => validateManifest(path.join(stage, 'manifest.json')))))
      throw new Error('manifest.json is not a valid MCPB manifest (reasons above).');
    if (!(await mcpbQuietly(() => packExtension({ extensionPath: stage, outputPath: outFile, silent: true }))))
      throw new Error('mcpb pack failed (reasons above)');
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const bytes = statSync(outFile).size;
  log(`${path.relative(process.cwd(), outFile)}: ${(bytes / 1024 / 1024).toFixed(1)} MB for ${platforms.join(', ')}`);
  if (bytes > MAX_BUNDLE_BYTES) throw new Error(`the bundle is ${(bytes / 1024 / 1024).toFixed(1)} MB, over the ${MAX_BUNDLE_BYTES / 1024 / 1024} MB budget`);
  return { file: outFile, bytes, platforms };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const current = `${process.platform}-${process.arch}`;
  // Lines for the person running the command; this script is not the MCP server, stdout is theirs.
  const say = (line: string) => process.stdout.write(`${line}\n`); // stdout-ok
  const targets = args.includes('--current-platform') ? [current] : BUNDLE_PLATFORMS;
  (async () => {
    for (const p of targets) await buildBundle({ platforms: [p], outFile: outAt >= 0 && targets.length === 1 ? args[outAt + 1] : undefined, log: say });
  })().catch((err: unknown) => {
    process.stderr.write(`bundle: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
