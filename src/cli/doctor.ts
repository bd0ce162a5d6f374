/**
 * `kling-o1-mcp doctor`: is this setup ready? It checks, spending nothing, what a first call would need: the Node
 * version, the settings, the token (the balance call, which RunComfy's own integrations use to check a token), the
 * balance, every registered model's live input schema against ours (models/schema-drift.ts), the output and state
 * folders, and the ledger. One line per check on stdout (a terminal command, not the stdio server); the token is
 * never printed. Loaded only when `doctor` runs, so no start of the server parses it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config.js';
import { isKlingError } from '../errors.js';
import { SqliteLedger } from '../ledger/sqlite/ledger.js';
import type { AnyModel } from '../models/model.js';
import { models } from '../models/registry.js';
import { driftText, fieldsSent, schemaDrift } from '../models/schema-drift.js';
import { RunComfyClient, createAgent } from '../runcomfy/client.js';
import type { Balance } from '../runcomfy/schemas.js';
import { API_SETTING, type Api } from '../runcomfy/upstream-errors.js';
import { networkCode } from '../http/network-errors.js';
import { createLogger } from '../util/log.js';
import { makeDir } from '../util/make-dir.js';
import { redact } from '../util/redact.js';
import type { PackageInfo } from './command.js';

export type Verdict = 'ok' | 'problem' | 'could not check';

export interface Check {
  name: string;
  verdict: Verdict;
  /** What was found, or why it could not be checked; for a problem, what to do. */
  detail: string;
}

/** Exit statuses: ready; a check found a problem; nothing wrong found, but something could not be checked (offline). */
export const DOCTOR_EXIT = { ready: 0, problem: 1, unchecked: 2 } as const;

/** How long the ledger may take to open: local file work of milliseconds, unless its file system hangs. */
const LEDGER_LIMIT_MS = 5_000;

/** A doctor waits on RunComfy briefly: one retry, then it says what it could not reach. */
const DOCTOR_RETRY = { attempts: 2, baseMs: 300, maxDelayMs: 1_000, totalMs: 5_000 };

const NO_TOKEN =
  'RUNCOMFY_API_TOKEN is not set. Create an API token in your RunComfy profile (Profile → API keys), then run ' +
  '`RUNCOMFY_API_TOKEN=<your token> kling-o1-mcp doctor`, and give the server the same token in the "env" block of your MCP ' +
  'client\'s config (README: "Use it with a real RunComfy token").';

/** Runs every check, prints one line each and a verdict, and answers the exit status. */
export async function doctor(io: { env: Record<string, string | undefined>; pkg: PackageInfo; write: (text: string) => void }): Promise<number> {
  const config = loadConfig(io.env);
  const print = (c: Check) => io.write(redact(`[${c.verdict}] ${c.name}: ${c.detail}\n`));
  const checks: Check[] = [];
  const report = (...cs: Check[]) => {
    for (const c of cs) {
      checks.push(c);
      print(c);
    }
  };
  report(nodeCheck(io.pkg), settingsCheck(config));
  // The network checks run while the folders and the ledger are checked; their lines follow in a fixed order.
  const upstream = upstreamChecks(config);
  report(await folderCheck('output folder', config.outputDir, 'KLING_MCP_OUTPUT_DIR'));
  const state = await folderCheck('state folder', config.stateDir, 'KLING_MCP_STATE_DIR');
  report(
    state,
    state.verdict === 'ok' ? await ledgerCheck(config) : { name: 'ledger', verdict: 'could not check', detail: 'its folder is not usable (above).' },
  );
  report(...(await upstream));
  const problems = checks.filter((c) => c.verdict === 'problem').length;
  const unchecked = checks.filter((c) => c.verdict === 'could not check').length;
  if (problems > 0) {
    io.write(`Not ready: ${problems} problem${problems === 1 ? '' : 's'} to fix (above).\n`);
    return DOCTOR_EXIT.problem;
  }
  if (unchecked > 0) {
    io.write(
      `Nothing wrong found, but ${unchecked} check${unchecked === 1 ? '' : 's'} could not run (above): run doctor again once RunComfy can be reached.\n`,
    );
    return DOCTOR_EXIT.unchecked;
  }
  io.write('Ready: every check passed.\n');
  return DOCTOR_EXIT.ready;
}

/** The running Node against package.json's `engines.node`, a ">=major.minor.patch" range. */
export function nodeCheck(pkg: PackageInfo, version = process.versions.node): Check {
  const name = 'Node.js';
  const want = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(pkg.node.trim());
  if (!want) return { name, verdict: 'could not check', detail: `package.json asks for Node ${pkg.node}, a range this check does not read.` };
  const have = version.split('.').map(Number);
  const need = want.slice(1).map((n) => Number(n ?? 0));
  const diff = need.map((n, i) => (have[i] ?? 0) - n).find((d) => d !== 0) ?? 0;
  if (diff < 0) return { name, verdict: 'problem', detail: `${version} is older than kling-o1-mcp needs (${pkg.node}): install a newer Node.js (nodejs.org).` };
  return { name, verdict: 'ok', detail: `${version} (kling-o1-mcp needs ${pkg.node}).` };
}

function settingsCheck(config: Config): Check {
  if (config.problems.length === 0) return { name: 'settings', verdict: 'ok', detail: 'every KLING_MCP_* and RUNCOMFY_* variable set reads.' };
  return { name: 'settings', verdict: 'problem', detail: `${config.problems.join(' ')} The server answers every call with this until it is fixed.` };
}

/** A folder the server writes to: made if missing, then a file written and removed in it. */
async function folderCheck(name: string, dir: string, setting: string): Promise<Check> {
  const probe = path.join(dir, `.kling-o1-mcp-doctor-${process.pid}`);
  try {
    await makeDir(dir);
    await fs.writeFile(probe, 'doctor');
    await fs.rm(probe);
    return { name, verdict: 'ok', detail: `${dir} is writable.` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { name, verdict: 'problem', detail: `${dir} cannot be written (${code}). Set ${setting} to a folder this user can write, or fix its permissions.` };
  }
}

/** The ledger opens (made empty if there is none yet) and reads. */
async function ledgerCheck(config: Config): Promise<Check> {
  const ledger = new SqliteLedger(config.stateDir, createLogger(config.logLevel));
  const existed = await fs.stat(ledger.file).then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`it did not open within ${LEDGER_LIMIT_MS / 1000} s; its file system may be hung`)), LEDGER_LIMIT_MS);
  });
  try {
    const read = (async () => {
      await ledger.open();
      return (await ledger.jobs({ limit: 1 })).total;
    })();
    const jobs = await Promise.race([read, limit]);
    const what = existed ? `${jobs} job${jobs === 1 ? '' : 's'} recorded` : 'none was there yet, so an empty one was made';
    return { name: 'ledger', verdict: 'ok', detail: `${ledger.file} reads (${what}).` };
  } catch (err) {
    return { name: 'ledger', verdict: 'problem', detail: `${ledger.file} cannot be read: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
    await ledger.close().catch(() => undefined);
  }
}

/** The token, the balance and every model's live schema: what only RunComfy can answer. */
async function upstreamChecks(config: Config): Promise<Check[]> {
  const modelNames = models().map((m) => `model ${m.id}`);
  if (!config.token) {
    const why = 'it needs RUNCOMFY_API_TOKEN (above).';
    return [
      { name: 'token', verdict: 'problem', detail: NO_TOKEN },
      { name: 'balance', verdict: 'could not check', detail: why },
      ...modelNames.map((name): Check => ({ name, verdict: 'could not check', detail: why })),
    ];
  }
  const agent = createAgent(config.httpTimeoutMs);
  const client = new RunComfyClient({
    baseUrl: config.baseUrl,
    accountBaseUrl: config.accountBaseUrl,
    token: config.token,
    dispatcher: agent,
    retry: DOCTOR_RETRY,
  });
  try {
    const balance = await balanceChecks(client, config);
    if (balance[0]!.verdict === 'problem') {
      return [...balance, ...modelNames.map((name): Check => ({ name, verdict: 'could not check', detail: 'the token was refused (above).' }))];
    }
    return [...balance, ...(await Promise.all(models().map((m) => schemaCheck(client, m, config))))];
  } finally {
    // Its idle connections would keep the process alive for seconds after the last line.
    await agent.close();
  }
}

async function balanceChecks(client: RunComfyClient, config: Config): Promise<Check[]> {
  let balance: Balance;
  try {
    balance = await client.balance();
  } catch (err) {
    const token = failed('token', err, config, 'account');
    return [token, { name: 'balance', verdict: 'could not check', detail: token.verdict === 'problem' ? 'the token was refused (above).' : token.detail }];
  }
  const amount = `${balance.usd.toFixed(2)} ${balance.currency}`;
  return [
    { name: 'token', verdict: 'ok', detail: `accepted by RunComfy (${config.accountBaseUrl}).` },
    balance.usd > 0
      ? { name: 'balance', verdict: 'ok', detail: `${amount}.` }
      : { name: 'balance', verdict: 'problem', detail: `${amount}: nothing can be paid for. Top up your RunComfy balance, then run doctor again.` },
  ];
}

async function schemaCheck(client: RunComfyClient, model: AnyModel, config: Config): Promise<Check> {
  const name = `model ${model.id}`;
  try {
    const live = (await client.modelInfo(model.id)).inputSchema;
    if (!live) return { name, verdict: 'could not check', detail: "RunComfy's answer carried no input schema this server can read." };
    const drift = schemaDrift(live, model.schema, { fields: fieldsSent(model) });
    return { name, verdict: drift.refuse.length > 0 ? 'problem' : 'ok', detail: driftText(model.id, drift) };
  } catch (err) {
    return failed(name, err, config, 'model');
  }
}

/** A failed call to RunComfy: a refusal is a problem (its message says what to do); no answer is a check that could not run. */
function failed(name: string, err: unknown, config: Config, api: Api): Check {
  const url = api === 'account' ? config.accountBaseUrl : config.baseUrl;
  if (isKlingError(err, 'network')) {
    const code = networkCode(err.extra.cause) ?? 'no answer';
    return { name, verdict: 'could not check', detail: `could not reach RunComfy at ${url} (${code}): check your network, or ${API_SETTING[api]}.` };
  }
  if (isKlingError(err) && (err.extra.retryable || err.code === 'upstream_bad_response')) {
    return { name, verdict: 'could not check', detail: `${url}: ${err.message}` };
  }
  return { name, verdict: 'problem', detail: (err as Error).message };
}
