/**
 * `kling-o1-mcp doctor` against the simulator: the built bin for the four cases a user meets (ready, a bad token,
 * RunComfy's schema changed, no token), in process for the rest. It spends nothing and never prints the token.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { readPackageInfo } from '../src/cli/command.js';
import { DOCTOR_EXIT, doctor, nodeCheck } from '../src/cli/doctor.js';
import { DEFAULT_MODEL, models } from '../src/models/registry.js';
import { SIM_TOKEN } from '../src/simulator/simulator.js';
import { ROOT, runBin, simEnv, type Env } from './helpers.js';
import { labTest } from './lab.js';

const it = labTest();
const PKG = readPackageInfo(new URL('../src/server.ts', import.meta.url).href);

/** Each line's verdict by check name: "token" → "ok". */
function verdicts(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^\[(ok|problem|could not check)\] ([^:]+): /gm)].map((m) => [m[2]!, m[1]!]));
}

/** Doctor in this process, as the bin runs it. */
async function inProcess(env: Env): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await doctor({ env, pkg: PKG, write: (t) => (stdout += t) });
  return { code, stdout };
}

const EVERY_CHECK = ['Node.js', 'settings', 'output folder', 'state folder', 'ledger', 'token', 'balance', ...models().map((m) => `model ${m.id}`)];

describe('kling-o1-mcp doctor (the built bin)', () => {
  it('ready: one ok line per check, exit 0, nothing spent, the token never printed', async ({ sim, dir }) => {
    const before = { submissions: sim.submissions, requests: sim.requests.length };
    const r = await runBin(['doctor'], simEnv(sim, dir));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(DOCTOR_EXIT.ready);
    expect(verdicts(r.stdout)).toEqual(Object.fromEntries(EVERY_CHECK.map((c) => [c, 'ok'])));
    expect(r.stdout).toMatch(/^\[ok\] balance: 1000\.00 USD\.$/m);
    expect(r.stdout).toMatch(/Ready: every check passed\.\n$/);
    expect(r.stdout).not.toContain(SIM_TOKEN);
    expect(sim.submissions).toBe(before.submissions);
    // The balance and one model answer per model: reads only.
    expect(sim.requests.slice(before.requests).map((q) => `${q.method} ${q.route}`)).toEqual(['GET balance', ...models().map(() => 'GET model')]);
  });

  it('a bad token: a problem naming the refusal and what to set, exit 1, the token never printed', async ({ sim, dir }) => {
    const token = 'not-the-right-token-42';
    const r = await runBin(['doctor'], simEnv(sim, dir, { RUNCOMFY_API_TOKEN: token }));
    expect(r.code).toBe(DOCTOR_EXIT.problem);
    expect(verdicts(r.stdout)).toMatchObject({ token: 'problem', balance: 'could not check', [`model ${DEFAULT_MODEL.id}`]: 'could not check', ledger: 'ok' });
    expect(r.stdout).toMatch(/^\[problem\] token: RunComfy rejected the API token \(error 400004\).*RUNCOMFY_API_TOKEN/m);
    expect(r.stdout + r.stderr).not.toContain(token);
  });

  it("RunComfy changed a model (the simulator's drift fault): a problem naming the change and to update, exit 1", async ({ sim, dir }) => {
    sim.changeSchema(DEFAULT_MODEL.id, { require: 'seed' }, { field: 'duration', enum: [5] });
    try {
      const r = await runBin(['doctor'], simEnv(sim, dir));
      expect(r.code).toBe(DOCTOR_EXIT.problem);
      expect(verdicts(r.stdout)).toMatchObject({ token: 'ok', balance: 'ok', [`model ${DEFAULT_MODEL.id}`]: 'problem' });
      const line = r.stdout.split('\n').find((l) => l.startsWith(`[problem] model ${DEFAULT_MODEL.id}`))!;
      expect(line).toContain('`duration` now takes only 5, and this server may send 10.');
      expect(line).toContain('`seed` is now required, and this server does not send it.');
      expect(line).toContain('Update kling-o1-mcp');
    } finally {
      sim.restoreSchemas();
    }
  });

  it('no token: says how to set one, checks what it can without it, exit 1', async ({ sim, dir }) => {
    const r = await runBin(['doctor'], simEnv(sim, dir, { RUNCOMFY_API_TOKEN: undefined }));
    expect(r.code).toBe(DOCTOR_EXIT.problem);
    expect(verdicts(r.stdout)).toMatchObject({ token: 'problem', balance: 'could not check', ledger: 'ok', 'output folder': 'ok' });
    expect(r.stdout).toMatch(/^\[problem\] token: RUNCOMFY_API_TOKEN is not set\. Create an API token.*RUNCOMFY_API_TOKEN=<your token> kling-o1-mcp doctor/m);
  });
});

describe('doctor, in process', () => {
  it('offline: says what it could not reach and which setting names it; exit 2 when nothing else is wrong', async ({ dir }) => {
    // Port 9 (discard) has no listener on loopback: refused at once.
    const r = await inProcess({
      RUNCOMFY_API_TOKEN: SIM_TOKEN,
      RUNCOMFY_BASE_URL: 'http://127.0.0.1:9',
      RUNCOMFY_ACCOUNT_BASE_URL: 'http://127.0.0.1:9',
      KLING_MCP_STATE_DIR: path.join(dir, 'state'),
      KLING_MCP_OUTPUT_DIR: path.join(dir, 'out'),
    });
    expect(r.code).toBe(DOCTOR_EXIT.unchecked);
    expect(r.stdout).toMatch(
      /^\[could not check\] token: could not reach RunComfy at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\): check your network, or RUNCOMFY_ACCOUNT_BASE_URL\.$/m,
    );
    expect(r.stdout).toMatch(new RegExp(`^\\[could not check\\] model ${DEFAULT_MODEL.id}: could not reach .*RUNCOMFY_BASE_URL\\.$`, 'm'));
    expect(r.stdout).toMatch(/could not run \(above\)/);
  });

  it('a spent balance, a folder that cannot be written and a bad setting are problems, each saying what to do', async ({ sim, dir }) => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    sim.inject({ route: 'balance', status: 200, body: JSON.stringify({ balance_usd: -0.25, currency: 'USD' }) });
    const r = await inProcess(simEnv(sim, dir, { KLING_MCP_OUTPUT_DIR: path.join(file, 'videos'), KLING_MCP_MAX_WAIT_S: 'soon' }));
    expect(r.code).toBe(DOCTOR_EXIT.problem);
    expect(verdicts(r.stdout)).toMatchObject({ balance: 'problem', 'output folder': 'problem', settings: 'problem', 'state folder': 'ok', ledger: 'ok' });
    expect(r.stdout).toContain('[problem] balance: -0.25 USD: nothing can be paid for. Top up your RunComfy balance');
    expect(r.stdout).toMatch(/\[problem\] output folder: .*videos cannot be written \(ENOTDIR\)\. Set KLING_MCP_OUTPUT_DIR to a folder this user can write/);
    expect(r.stdout).toMatch(/\[problem\] settings: KLING_MCP_MAX_WAIT_S="soon" is not a number/);
  });

  it('the README says what each exit status means, as the code has them', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(
      `exits ${DOCTOR_EXIT.ready} when everything is ready, ${DOCTOR_EXIT.problem} when a check found a problem, and ${DOCTOR_EXIT.unchecked} when nothing was found wrong`,
    );
  });

  it("the Node version against package.json's engines", () => {
    expect(nodeCheck({ ...PKG, node: '>=20.19' }, '20.19.0').verdict).toBe('ok');
    expect(nodeCheck({ ...PKG, node: '>=20.19' }, '22.1.0').verdict).toBe('ok');
    expect(nodeCheck({ ...PKG, node: '>=20.19' }, '20.18.3')).toEqual({
      name: 'Node.js',
      verdict: 'problem',
      detail: '20.18.3 is older than kling-o1-mcp needs (>=20.19): install a newer Node.js (nodejs.org).',
    });
    expect(nodeCheck({ ...PKG, node: '^20 || ^22' }).verdict).toBe('could not check');
    // The range the package declares is one this check reads.
    expect(nodeCheck(PKG).verdict).toBe('ok');
  });
});
