#!/usr/bin/env node
/**
 * Bundles the server bin: src/server.ts and what it imports (the MCP SDK, zod,
 * undici…) become dist/server.js plus chunks in dist/chunks/ that load only on
 * first use. Node then reads one file at start-up instead of a few hundred
 * modules, which halves a cold start (spawn → initialize → tools/list; see
 * `npm run bench`). sharp and libsql stay outside: they load native binaries
 * from per-platform packages at run time. What every start parses is kept small
 * (a cold start costs about a millisecond per 10 KB of it): whitespace goes
 * (names stay, so a stack trace still reads), and two parts of dependencies no
 * start needs are left out (see LEFT_OUT); and the code a start loads is kept
 * in a few files (see startInOneChunk).
 * Runs after tsc (which still type-checks and emits the other modules), and
 * empties dist/chunks/ first so no stale chunk ships. Plain JavaScript, so it
 * runs without tsx. esbuild comes with tsx.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Modules the bin never runs, replaced at bundle time. ajv (with its formats, about 280 KB) backs the SDK's default
 * JSON Schema validator, which the server never builds: app.ts passes its own (util/json-schema-validator.ts). zod 3
 * and zod-to-json-schema (about 110 KB) serve the SDK for tools declared with zod 3 schemas; every schema here is zod
 * 4's. zod's error messages in some 60 languages (about 360 KB) are there for z.config(z.locales.xx()), which the
 * server never calls; English, zod's default, stays.
 */
const ZOD_4_ONLY = JSON.stringify('kling-o1-mcp declares its tools with zod 4 schemas only: its bin leaves zod 3 out (scripts/bundle-server.mjs).');
const LEFT_OUT = [
  {
    filter: /[\\/]@modelcontextprotocol[\\/]sdk[\\/]dist[\\/]esm[\\/]validation[\\/]ajv-provider\.js$/,
    contents:
      "export class AjvJsonSchemaValidator { constructor() { throw new Error('kling-o1-mcp passes the MCP server its own JSON Schema validator (src/app.ts).'); } }",
  },
  { filter: /[\\/]zod[\\/]v3[\\/]index\.js$/, contents: `export function object() { throw new Error(${ZOD_4_ONLY}); }` },
  { filter: /[\\/]zod-to-json-schema[\\/]dist[\\/]esm[\\/]index\.js$/, contents: `export function zodToJsonSchema() { throw new Error(${ZOD_4_ONLY}); }` },
  { filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/, contents: "export { default as en } from './en.js';" },
];

const leaveOut = {
  name: 'leave-out',
  setup(build) {
    for (const { filter, contents } of LEFT_OUT) {
      build.onLoad({ filter }, (args) => ({ contents, loader: 'js', resolveDir: path.dirname(args.path) }));
    }
  },
};

/**
 * Every tool's schemas, converted now rather than at each start's first tools/list (src/tools/listing.ts): printed by
 * scripts/tool-schemas.ts from the same source, and built in where src/tools/bundled-schemas.ts stands.
 */
function bundledSchemas(root) {
  // Parsed here, so output that is not the schemas (a stray line on stdout) fails the build, not every start of the bin.
  const json = JSON.stringify(
    JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'tool-schemas.ts')], { cwd: root, encoding: 'utf8' })),
  );
  return {
    name: 'bundled-schemas',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]tools[\\/]bundled-schemas\.ts$/ }, () => ({
        // JSON.parse of a string: V8 reads it faster than the same object as a literal.
        contents: `export const BUNDLED_SCHEMAS = JSON.parse(${JSON.stringify(json)});`,
        loader: 'js',
      }));
    },
  };
}

/** The bin's two entries, from the root (as esbuild's metafile names inputs): the server, and the V8 settings it imports first. */
const ENTRIES = { server: 'src/server.ts', 'chunks/lean-heap': 'src/util/lean-heap.ts' };

/**
 * Every file a start loads costs it about 0.3 ms beyond its bytes, and esbuild splits the code that the bin and the
 * modules it imports on first use (import()) share by which of them reach each module: that cut a start's own code
 * into some twenty chunks. So a first build finds what a start loads, and this plugin has every module imported on
 * use import all of it too (by then it has been loaded: importing it again costs nothing, and runs nothing twice).
 * Every module of a start is then reached by the same entries, and they are one chunk: a start loads five files.
 * A module that a start loads itself is left as it is, so the order a start runs its modules in does not change.
 * That holds while every import() runs inside a function, after the start's modules have run (none is at a module's
 * top level).
 */
function startInOneChunk(root, first) {
  const outputs = first.metafile.outputs;
  const startFiles = new Set();
  const visit = (file) => {
    if (startFiles.has(file)) return;
    startFiles.add(file);
    for (const imported of outputs[file].imports) if (imported.kind === 'import-statement' && outputs[imported.path]) visit(imported.path);
  };
  visit(Object.keys(outputs).find((file) => outputs[file].entryPoint === ENTRIES.server));
  const ours = (input) => !input.includes('node_modules') && !Object.values(ENTRIES).includes(input);
  const start = new Set([...startFiles].flatMap((file) => Object.keys(outputs[file].inputs)).filter(ours));
  const entries = Object.values(outputs).flatMap((output) => (output.entryPoint ? [output.entryPoint] : []));
  const onUse = new Set(entries.filter((entry) => ours(entry) && !start.has(entry)));
  // Relative specifiers with forward slashes: what an import takes on every system (a Windows path would not do).
  const importsFrom = (file) =>
    [...start]
      .map((input) => {
        const spec = path.relative(path.dirname(file), path.join(root, input)).split(path.sep).join('/');
        return `\nimport ${JSON.stringify(spec.startsWith('.') ? spec : `./${spec}`)};`;
      })
      .join('');
  return {
    name: 'start-in-one-chunk',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
        if (!onUse.has(path.relative(root, args.path).split(path.sep).join('/'))) return undefined;
        return { contents: readFileSync(args.path, 'utf8') + importsFrom(args.path), loader: 'ts' };
      });
    },
  };
}

export async function bundleServer(root) {
  const dist = path.join(root, 'dist');
  rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });
  // tsc's map of the server module would describe a file the bundle replaces.
  rmSync(path.join(dist, 'server.js.map'), { force: true });
  const options = {
    absWorkingDir: root,
    // lean-heap goes with the chunks, which the package and the bundle ship whole (package.json "files").
    entryPoints: ENTRIES,
    outdir: dist,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['sharp', 'libsql'],
    plugins: [leaveOut, bundledSchemas(root)],
    metafile: true,
    minifyWhitespace: true,
    minifySyntax: true,
    // Bundled CommonJS (undici) still require() Node's own modules.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  };
  const first = await build({ ...options, write: false });
  await build({ ...options, plugins: [...options.plugins, startInOneChunk(root, first)] });
  // The V8 settings of util/lean-heap.ts apply only to what V8 does after them, so they must run before every chunk the
  // bin imports: as its first import (esbuild orders the imports of chunks as it likes).
  const bin = path.join(dist, 'server.js');
  writeFileSync(
    bin,
    readFileSync(bin, 'utf8').replace(/^(#!.*\n)?/, (shebang) => `${shebang}import "./chunks/lean-heap.js";\n`),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleServer(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
}
