/**
 * Every word true: the points a newcomer's trial found, each as a test of what the server, the commands and the
 * README now say (each failed on the text before).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect } from 'vitest';
import { RUNCOMFY_STATE } from '../src/jobs/phase.js';
import { jobSummarySchema } from '../src/jobs/summary.js';
import { cutFileName } from '../src/storyboards/show.js';
import { boardViewShape, shotViewSchema, takeViewSchema } from '../src/storyboards/view-shape.js';
import { formatBytes, roundUsd } from '../src/util/format.js';
import { call, ROOT, textOf } from './helpers.js';
import { labTest } from './lab.js';

const run = promisify(execFile);
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

// Shots stay in the queue long enough to be cancelled there.
const it = labTest({ sim: { timing: { 5: { queueMs: 60_000, runMs: 600 }, 10: { queueMs: 300, runMs: 600 } } }, env: { KLING_MCP_MAX_WAIT_S: '20' } }).extend(
  'clip',
  ({ frames }) =>
    (extra: Record<string, unknown> = {}) => ({ prompt: '@Image1 to @Image2', start_image_url: frames.start, end_image_url: frames.end, ...extra }),
);

describe('what the tools say', () => {
  it("the server's instructions name every tool that makes something, and no tool or resource that is gone", async ({ shared: c }) => {
    const instructions = c.client.getInstructions() ?? '';
    const tools = (await c.client.listTools()).tools.map((t) => t.name);
    for (const maker of tools.filter((n) => n.startsWith('generate_'))) expect(instructions).toContain(maker);
    // Every snake_case word is a tool, or one of the few argument and answer fields it names.
    for (const named of instructions.match(/\b[a-z]+_[a-z_]+(?=[ ;,.)])/g) ?? [])
      expect([...tools, 'wait_seconds', 'request_id', 'keyframe_id', 'soundtrack_id']).toContain(named);
    const templates = (await c.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    for (const uri of instructions.match(/kling:\/\/\S+(?<![.,])/g) ?? []) expect(templates).toContain(uri);
  });

  it('list_jobs with a filter that matches nothing says what the filter found, not that nothing is recorded', async ({ shared: c, clip }) => {
    expect((await call(c.client, 'generate_video', clip({ duration: 10 }))).isError).toBeFalsy();
    const r = await call(c.client, 'list_jobs', { status: 'failed' });
    expect(textOf(r)).not.toContain('No jobs recorded yet.');
    expect(textOf(r)).toMatch(/^No failed jobs among the 1 recorded/);
  });

  it('next steps advise the wait the server allows (KLING_MCP_MAX_WAIT_S), for jobs and boards', async ({ shared: c, clip }) => {
    const job = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
    expect(job.structuredContent?.next_step).toContain('"wait_seconds":20');
    expect(textOf(job)).not.toContain('"wait_seconds":50');
    const board = await call(c.client, 'generate_storyboard', { shots: [clip()], wait_seconds: 0, stitch: false });
    expect(board.structuredContent?.next_step).toContain('"wait_seconds": 20');
    expect(textOf(board)).not.toContain('"wait_seconds": 50');
  });

  it("a shot's state has one name in every answer: RunComfy's (in_queue), in the board, check_status and list_jobs", async ({ shared: c, clip }) => {
    const board = await call(c.client, 'generate_storyboard', { shots: [clip(), clip()], wait_seconds: 0, stitch: false });
    const shot = board.structuredContent!.shots[0]!;
    // Not asked about since it was sent: "submitted", never a RunComfy state it may have left since.
    expect(shot.status).toBe('submitted');
    expect(shot.takes[0]!.status).toBe('submitted');
    const status = await call(c.client, 'check_status', { request_id: shot.request_id });
    expect(status.structuredContent?.status).toBe('in_queue');
    const again = await call(c.client, 'get_storyboard', { storyboard_id: board.structuredContent!.storyboard_id, stitch: false });
    expect(again.structuredContent!.shots[0]!.status).toBe('in_queue');
    const listed = await call(c.client, 'list_jobs', { status: 'in_queue' });
    expect(textOf(listed)).toContain('(in_queue, as last seen)');
    expect(textOf(listed)).toContain(`${shot.request_id} · in_queue (as last seen, 0 s ago)`);
    expect(textOf(listed)).not.toMatch(/\bqueued\b/);
    // The former word is still taken (a saved call keeps working), and answered in the one vocabulary.
    const former = await call(c.client, 'list_jobs', { status: 'queued' });
    expect(former.structuredContent!.jobs.map((j) => j.request_id)).toEqual(listed.structuredContent!.jobs.map((j) => j.request_id));
    expect(textOf(former)).toContain('(in_queue, as last seen)');
  });

  it('a job not checked since its submission is listed as such, with when; once checked, as last seen, with when', async ({ connect, clip }) => {
    const c = await connect();
    const job = await call(c.client, 'generate_video', clip({ wait_seconds: 0 }));
    const id = job.structuredContent!.request_id;
    const row = async () => {
      const r = await call(c.client, 'list_jobs', { status: 'in_queue' });
      return { text: textOf(r), job: r.structuredContent!.jobs.find((j) => j.request_id === id)! };
    };
    const never = await row();
    expect(never.job.status).toBe('submitted');
    expect(never.job.checked_at).toBeUndefined();
    expect(never.text).toContain(`${id} · submitted, not checked since ${never.job.submitted_at}`);
    expect(never.text).toContain('States of unfinished jobs are as this server last saw them; check_status asks RunComfy now.');
    await call(c.client, 'check_status', { request_id: id });
    const seen = await row();
    expect(seen.job.status).toBe('in_queue');
    expect(seen.job.checked_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(seen.text).toMatch(new RegExp(`${id} · in_queue \\(as last seen, \\d+ s ago\\)`));
  });

  it('a cancelled board whose shots were all cancelled in the queue expects no cost', async ({ shared: c, clip }) => {
    const board = await call(c.client, 'generate_storyboard', { shots: [clip(), clip()], wait_seconds: 0, stitch: false });
    const id = board.structuredContent!.storyboard_id;
    expect(textOf(board)).toContain('Cost of this cut: about $1.12 expected');
    const cancelled = await call(c.client, 'cancel', { storyboard_id: id });
    expect(textOf(cancelled)).toMatch(/shot 1 .*cancelled \(not billed\)[\s\S]*shot 2 .*cancelled \(not billed\)/);
    const after = await call(c.client, 'get_storyboard', { storyboard_id: id });
    expect(textOf(after)).not.toContain('about $1.12 expected');
    expect(textOf(after)).toContain('Cost of this cut: nothing expected: no shot will be billed.');
    expect(after.structuredContent?.cost.estimate_usd).toBe(0);
  });

  it('each wait_seconds description says once what the call returns when the wait ends first', async ({ shared: c }) => {
    const { tools } = await c.client.listTools();
    const waits = tools.flatMap((t) => {
      const d = (t.inputSchema.properties?.wait_seconds as { description?: string } | undefined)?.description;
      return d ? [[t.name, d] as const] : [];
    });
    expect(waits.length).toBe(8);
    for (const [name, d] of waits) {
      const returns = /the call still returns (.+)\.$/.exec(d)?.[1];
      expect(returns, name).toBeDefined();
      expect(d.split(returns!).length - 1, `${name}: ${d}`).toBe(1);
    }
  });

  it("the stitch description names each cut's film as the server writes it (cutFileName)", async ({ shared: c }) => {
    const { tools } = await c.client.listTools();
    const stitch = (tools.find((t) => t.name === 'revise_storyboard')!.inputSchema.properties!.stitch as { description: string }).description;
    expect(stitch).toContain(cutFileName({ storyboard_id: '<storyboard_id>', cut: 1 }, 'mp4'));
    expect(stitch).toContain(cutFileName({ storyboard_id: '<storyboard_id>', cut: '<n>' as unknown as number }, 'mp4'));
  });

  it("a quote's price is in cents, in the text and in structured content, never a float's tail (5 × $0.56 = $2.80)", async ({ connect, clip }) => {
    const c = await connect({ env: { KLING_MCP_CONFIRM_ABOVE_USD: '1' } });
    const r = await call(c.client, 'generate_storyboard', { shots: Array.from({ length: 5 }, () => clip()) });
    expect(r).toBeToolError('confirmation_required');
    expect((r._meta?.['kling-o1-mcp/error'] as { estimate_usd: number }).estimate_usd).toBe(2.8);
    expect(JSON.stringify(r)).not.toMatch(/\d\.\d*0000000/);
    expect(roundUsd(0.56 * 5)).toBe(2.8);
    // A price finer than a cent keeps its unit, without the tail.
    expect(roundUsd(0.112 * 3)).toBe(0.336);
  });

  it('an http:// image URL, private URLs not allowed: the hint names local files and KLING_MCP_ALLOW_PRIVATE_URLS', async ({ connect, clip }) => {
    const strict = await connect({ env: { KLING_MCP_ALLOW_PRIVATE_URLS: undefined } });
    const r = await call(strict.client, 'generate_video', clip({ start_image_url: 'http://example.com/start.png' }));
    expect(r).toBeToolError('invalid_input');
    expect(textOf(r)).toMatch(/absolute path or a file:\/\/ URL/);
    expect(textOf(r)).toContain('KLING_MCP_ALLOW_PRIVATE_URLS=1');
  });
});

describe('sizes', () => {
  it("one unit, named: binary figures are MiB (the unit the 10 MB rule is checked in), never 'MB'", () => {
    expect(formatBytes(12_605_186)).toBe('12.02 MiB');
    expect(formatBytes(2048)).toBe('2.0 KiB');
  });
});

describe('the commands', () => {
  it('`npm run simulator -- --queue-s abc` prints what is wrong and how to call it, no stack trace', async () => {
    const err = await run(process.execPath, [TSX, path.join(ROOT, 'src', 'simulator', 'cli.ts'), '--queue-s', 'abc'], { cwd: ROOT }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((err as { code: number }).code).toBe(2);
    const stderr = (err as { stderr: string }).stderr;
    expect(stderr).toContain('simulator: --queue-s must be a number of seconds ≥ 0 (got "abc").');
    expect(stderr).toContain('Usage: npm run simulator');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("`npm pack`'s tarball is ignored by git", async () => {
    const { stdout } = await run('git', ['check-ignore', 'kling-o1-mcp-0.1.0.tgz'], { cwd: ROOT });
    expect(stdout.trim()).toBe('kling-o1-mcp-0.1.0.tgz');
  });
});

describe('the README', () => {
  const section = (title: string) => README.slice(README.indexOf(`## ${title}`), README.indexOf('\n## ', README.indexOf(`## ${title}`) + 3));

  it('the performance table names the machine and dates of its figures, and no longer promises "about three minutes"', () => {
    const perf = section('Performance');
    expect(perf).not.toContain('about three minutes');
    expect(perf).toMatch(/AMD EPYC, 2 cores, 24 GiB, Node v20\.20\.2/);
    expect(perf).toMatch(/\| measure \| 2026-11-25[^|]*\| 2026-12-01[^|]*\|/);
  });

  it("says what npm 11's install-scripts warnings mean, for `npm ci` and for the global install, as the package is made", () => {
    const flat = README.replace(/\s+/g, ' ');
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; files: string[] };
    const lock = readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8');
    // npm ci: esbuild's and sharp's scripts, whose binaries come as optional dependencies for the platform.
    expect(flat).toMatch(/`npm ci` ends with `npm warn install-scripts 2 packages have install scripts not yet covered by allowScripts`/);
    expect(flat).toContain('`esbuild@… (postinstall: node install.js)`');
    expect(flat).toContain('`sharp@… (install: node install/check.js || npm run build)`');
    for (const optional of ['@esbuild/linux-x64', '@img/sharp-linux-x64', '@libsql/linux-x64-gnu']) expect(lock).toContain(`"node_modules/${optional}"`);
    expect(flat).toContain("The project's own `prepare` runs, and builds `dist/`. There is nothing to approve or run.");
    // The global install: the package's own prepare, which names a script the tarball does not hold.
    expect(flat).toContain(`\`kling-o1-mcp@0.1.0 (prepare: ${pkg.scripts.prepare})\``);
    expect(pkg.files.some((f) => f.startsWith('scripts'))).toBe(false);
    expect(pkg.files).toContain('dist/server.js');
    expect(flat).toMatch(/There is nothing to approve; the server starts as is/);
  });

  const examples = [...README.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('example outputs say sizes in MiB, as the server does (formatBytes), never MB', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const ex of examples) expect(ex).not.toMatch(/\d MB\b/);
    expect(examples.join('\n')).toMatch(/\(\d+\.\d\d MiB, sha256/);
  });

  it("example board answers carry the three cost scopes in the server's words", () => {
    const boards = examples.filter((ex) => ex.includes('← Storyboard'));
    expect(boards.length).toBe(2);
    for (const ex of boards) {
      const costs = ex.split('\n').filter((l) => l.trim().startsWith('Cost'));
      expect(costs.map((l) => l.trim())).toEqual([
        expect.stringMatching(/^Cost of this call: (\$0\.00 \(nothing rendered\)|about \$\d+\.\d\d expected \(\d+ new renders?\))\.$/),
        expect.stringMatching(/^Cost of this cut: about \$\d+\.\d\d expected; \$\d+\.\d\d charged so far\.$/),
        expect.stringMatching(/^Cost of the whole board: \$\d+\.\d\d charged so far \(\d+ takes?, \d+ cuts?\)\.$/),
      ]);
    }
  });

  it('says what resubmit_failed and resubmit_unknown each send again, as get_storyboard declares them', async () => {
    const { getStoryboard } = await import('../src/tools/get-storyboard.js');
    const failed = getStoryboard.input.resubmit_failed.description!;
    const unknown = getStoryboard.input.resubmit_unknown.description!;
    expect(failed).toMatch(/failed or were cancelled/);
    expect(failed).not.toMatch(/no answer/);
    expect(unknown).toMatch(/got no answer/);
    const sentences = README.replace(/\s+/g, ' ').split(/(?<=\.) /);
    for (const s of sentences.filter((x) => x.includes('resubmit_failed'))) expect(s).not.toMatch(/no answer|outcome_unknown/);
    expect(sentences.some((s) => /got no answer/.test(s) && s.includes('`resubmit_unknown: true`'))).toBe(true);
  });

  it("the state table lists every word an answer can carry: RunComfy's, a board's, a shot's, a list row's", () => {
    const table = section('Tools').slice(section('Tools').indexOf('### States'));
    const rows = new Set([...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]));
    // The state words a status field's description names (not the field and tool names beside them).
    const described = (d: string | undefined) => (d!.match(/\b(?:[a-z]+_[a-z_]+|submitted|submitting)\b/g) ?? []).filter((w) => !w.startsWith('check'));
    const words = new Set([
      ...Object.values(RUNCOMFY_STATE),
      ...boardViewShape.status.options,
      ...described(shotViewSchema.shape.status.description),
      ...described(takeViewSchema.shape.status.description),
      ...described(jobSummarySchema.shape.status.description),
      'not_cancellable',
    ]);
    expect([...words].filter((w) => !rows.has(w))).toEqual([]);
  });

  it('says the bundle is unsigned and what that means; names where each limit of a message comes from', () => {
    expect(README).toMatch(/unsigned/);
    expect(section('Use it with a real RunComfy token')).toContain('10 MiB');
  });
});
