/**
 * Every setting the server reads from its environment, parsed once at start-up.
 * The README's configuration table lists exactly these (see ENV_DOCS).
 */
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MODEL } from './models/registry.js';

/** KLING_MCP_MAX_WAIT_S when unset: fits clients with a 60 s request timeout. */
export const DEFAULT_MAX_WAIT_S = 50;

export interface PollSettings {
  /** First delay after a request is seen queued, and the cap while queued. */
  queueMinMs: number;
  queueMaxMs: number;
  /**
   * Expected run time (in_progress → completed) by model id and clip duration, as set (KLING_MCP_EXPECTED_RUN_S,
   * for the default model); a model without a setting runs on what it declares.
   */
  expectedRunMs: Record<string, Record<number, number>>;
  /** Interval close to the expected finish, and the longest interval ever. */
  nearMs: number;
  maxMs: number;
}

export interface Config {
  baseUrl: string;
  /** RunComfy's core API, where the account's balance is (not the Model API's host). */
  accountBaseUrl: string;
  /** Never logged, printed or returned; see util/redact.ts. */
  token: string | undefined;
  maxWaitS: number;
  allowPrivateUrls: boolean;
  /** Local images (file paths, file:// URLs, data: URIs) are accepted. */
  localImages: boolean;
  /** Folders local images may be read from, besides the client's roots (absolute paths). */
  imageDirs: string[];
  stateDir: string;
  outputDir: string;
  poll: PollSettings;
  /** Upstream status/result requests per second across all jobs of this process. */
  upstreamRps: number;
  /** Connect/headers/body-silence timeout of every upstream request. */
  httpTimeoutMs: number;
  logLevel: LogLevel;
  /** Cap on the expected spend over any rolling 24 h, across every process sharing the ledger. */
  spendLimitUsd: number | undefined;
  /** Above this, one call asks the user to confirm (when the client can be asked). */
  confirmAboveUsd: number;
  /** Overrides RunComfy's published price. */
  pricePerSecondUsd: number | undefined;
  /**
   * What is wrong with the settings, one sentence per bad variable (each then
   * holds its default). The server still starts and lists its tools; while any
   * is here, every call answers with them.
   */
  problems: string[];
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export const ENV_DOCS: { name: string; default: string; meaning: string }[] = [
  {
    name: 'RUNCOMFY_API_TOKEN',
    default: '(none)',
    meaning:
      'Your RunComfy API token (Profile → API keys). Without it the server starts and lists its tools, and every call that needs RunComfy explains how to set it.',
  },
  {
    name: 'RUNCOMFY_BASE_URL',
    default: 'https://model-api.runcomfy.net',
    meaning: 'Where the RunComfy Model API lives; point it at `npm run simulator` to work offline.',
  },
  {
    name: 'RUNCOMFY_ACCOUNT_BASE_URL',
    default: 'https://api.runcomfy.net',
    meaning:
      "Where RunComfy's account API lives (the balance, `GET /prod/v2/balance`: one wallet pays for every RunComfy product); `npm run simulator` serves it too, at the same address as the Model API.",
  },
  {
    name: 'KLING_MCP_MAX_WAIT_S',
    default: '50',
    meaning:
      'Default for `wait_seconds`: how long one tool call waits for a job before it returns the request_id and status. 50 s fits clients with a 60 s request timeout.',
  },
  {
    name: 'KLING_MCP_ALLOW_PRIVATE_URLS',
    default: '0',
    meaning:
      'Set to 1 to allow image URLs on loopback/private hosts and plain http:// (the simulator and tests need this; RunComfy itself cannot fetch such URLs).',
  },
  {
    name: 'KLING_MCP_LOCAL_IMAGES',
    default: '1',
    meaning: 'Set to 0 to accept only image URLs: local images (absolute file paths, file:// URLs, data: URIs) are then refused.',
  },
  {
    name: 'KLING_MCP_IMAGE_DIRS',
    default: "(none: the client's roots, else your home folder)",
    meaning:
      'Folders local images may be read from, separated by `:` (`;` on Windows), in addition to the roots your MCP client lists. When neither names a folder, your home folder.',
  },
  {
    name: 'KLING_MCP_STATE_DIR',
    default:
      '$XDG_STATE_HOME/kling-o1-mcp (~/.local/state/kling-o1-mcp; macOS ~/Library/Application Support/kling-o1-mcp; Windows %LOCALAPPDATA%\\kling-o1-mcp)',
    meaning: 'Where the job ledger lives.',
  },
  {
    name: 'KLING_MCP_OUTPUT_DIR',
    default: '~/Movies/kling-o1-mcp on macOS, ~/Videos/kling-o1-mcp elsewhere',
    meaning: 'Where results are saved: clips, films and their contact sheets, keyframe images, music.',
  },
  { name: 'KLING_MCP_POLL_QUEUE_MS', default: '2000-15000', meaning: 'Polling interval while queued: starts at the first figure and backs off to the second.' },
  {
    name: 'KLING_MCP_EXPECTED_RUN_S',
    default: runTimesText(declaredRunTimes()),
    meaning: 'Expected run time per clip duration; polling is densest around it.',
  },
  { name: 'KLING_MCP_POLL_NEAR_MS', default: '1000', meaning: 'Polling interval around the expected finish.' },
  { name: 'KLING_MCP_POLL_MAX_MS', default: '15000', meaning: 'Longest interval between two status requests for one job.' },
  { name: 'KLING_MCP_UPSTREAM_RPS', default: '10', meaning: 'Status/result requests per second, at most, across all jobs of one server process.' },
  {
    name: 'KLING_MCP_HTTP_TIMEOUT_S',
    default: '30',
    meaning: 'Timeout of each request to RunComfy: for the response headers, and for silence within a response body (connecting: at most 10 s).',
  },
  {
    name: 'KLING_MCP_SPEND_LIMIT_USD',
    default: '(no limit)',
    meaning:
      'Cap on the expected spend (USD) over any rolling 24 h, counted from the ledger, so it holds across every server process sharing it. A call that would cross it is refused before anything is sent; with a cap set and the price unknown, nothing is submitted.',
  },
  {
    name: 'KLING_MCP_CONFIRM_ABOVE_USD',
    default: '2.00',
    meaning:
      'A call expected to spend more than this (USD) asks you to confirm first: through MCP elicitation where the client offers it, else with a quote to confirm by calling again with its confirm_quote.',
  },
  {
    name: 'KLING_MCP_PRICE_PER_SECOND_USD',
    default: "(RunComfy's published price)",
    meaning: "Price per second of video (USD) used for estimates and the spend limit, instead of the price RunComfy's model endpoint publishes.",
  },
  { name: 'KLING_MCP_LOG_LEVEL', default: 'info', meaning: 'debug, info, warn, error or silent. Logs go to stderr and MCP logging, never stdout.' },
];

type Env = Record<string, string | undefined>;

/** The environment being read, and the bad settings found so far. */
interface Source {
  env: Env;
  problems: string[];
}

/** A bad setting is noted and its default used, so the server starts and can tell every call what to fix. */
function bad<T>(src: Source, problem: string, fallback: T): T {
  src.problems.push(problem);
  return fallback;
}

function num(src: Source, name: string, fallback: number, min: number, max: number): number {
  const raw = src.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) return bad(src, `${name}=${JSON.stringify(raw)} is not a number between ${min} and ${max}.`, fallback);
  return n;
}

function optionalUsd(src: Source, name: string): number | undefined {
  const raw = src.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return num(src, name, 0, 0, 1_000_000);
}

function range(src: Source, name: string, fallback: [number, number]): [number, number] {
  const raw = src.env[name];
  if (!raw) return fallback;
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(raw);
  if (!m || Number(m[1]) > Number(m[2]) || Number(m[1]) < 50) {
    return bad(src, `${name}=${JSON.stringify(raw)} must look like 2000-15000 (milliseconds, low-high, low ≥ 50).`, fallback);
  }
  return [Number(m[1]), Number(m[2])];
}

/** "5:90,10:150": clip seconds and run seconds, per duration. */
function runTimesText(ms: Readonly<Record<number, number>>): string {
  return Object.entries(ms)
    .map(([d, run]) => `${d}:${run / 1000}`)
    .join(',');
}

/** The default model's run times per clip length, as it declares them. */
function declaredRunTimes(): Record<number, number> {
  const declared = DEFAULT_MODEL.expectedRunMs;
  return typeof declared === 'number' ? {} : { ...declared };
}

/** The default model's run times, with the setting's figures over its own. */
function expectedRun(src: Source): Record<string, Record<number, number>> {
  const declared = declaredRunTimes();
  const out = { [DEFAULT_MODEL.id]: { ...declared } };
  const raw = src.env.KLING_MCP_EXPECTED_RUN_S;
  if (!raw) return out;
  const durations: readonly number[] = DEFAULT_MODEL.durations ?? [];
  for (const part of raw.split(',')) {
    const m = /^\s*(\d+)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m || !durations.includes(Number(m[1]))) {
      const example = runTimesText(declared);
      return bad(
        src,
        `KLING_MCP_EXPECTED_RUN_S=${JSON.stringify(raw)} must look like ${example} (clip seconds:run seconds; clips of ${durations.join(' or ')} s).`,
        {
          [DEFAULT_MODEL.id]: declared,
        },
      );
    }
    out[DEFAULT_MODEL.id]![Number(m[1])] = Number(m[2]) * 1000;
  }
  return out;
}

function folderList(src: Source, name: string): string[] {
  const parts = (src.env[name] ?? '')
    .split(path.delimiter)
    .map((p) => p.trim())
    .filter(Boolean);
  const relative = parts.find((p) => !path.isAbsolute(p));
  if (relative !== undefined) return bad(src, `${name} must list absolute folders separated by "${path.delimiter}"; "${relative}" is relative.`, []);
  return parts.map((p) => path.resolve(p));
}

const DEFAULT_BASE_URL = 'https://model-api.runcomfy.net';
const DEFAULT_ACCOUNT_BASE_URL = 'https://api.runcomfy.net';

/** An http(s) address without a trailing slash; a bad one is noted and its default used. */
function baseUrl(src: Source, name: string, fallback: string): string {
  const url = (src.env[name]?.trim() || fallback).replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return bad(src, `${name}=${JSON.stringify(url)} is not a URL.`, fallback);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return bad(src, `${name} must be an http:// or https:// URL.`, fallback);
  return url;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

function logLevel(src: Source): LogLevel {
  const level = (src.env.KLING_MCP_LOG_LEVEL?.trim().toLowerCase() || 'info') as LogLevel;
  return LOG_LEVELS.includes(level) ? level : bad(src, 'KLING_MCP_LOG_LEVEL must be debug, info, warn, error or silent.', 'info');
}

export function defaultStateDir(env: Env = process.env, platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'kling-o1-mcp');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'kling-o1-mcp');
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'kling-o1-mcp');
}

export function defaultOutputDir(platform = process.platform): string {
  return path.join(os.homedir(), platform === 'darwin' ? 'Movies' : 'Videos', 'kling-o1-mcp');
}

/** Every setting, parsed; a bad one is listed in `problems` (and holds its default) rather than thrown. */
export function loadConfig(env: Env = process.env): Config {
  const src: Source = { env, problems: [] };
  const [queueMinMs, queueMaxMs] = range(src, 'KLING_MCP_POLL_QUEUE_MS', [2000, 15000]);
  return {
    baseUrl: baseUrl(src, 'RUNCOMFY_BASE_URL', DEFAULT_BASE_URL),
    accountBaseUrl: baseUrl(src, 'RUNCOMFY_ACCOUNT_BASE_URL', DEFAULT_ACCOUNT_BASE_URL),
    token: env.RUNCOMFY_API_TOKEN?.trim() || undefined,
    maxWaitS: num(src, 'KLING_MCP_MAX_WAIT_S', DEFAULT_MAX_WAIT_S, 0, 3600),
    allowPrivateUrls: env.KLING_MCP_ALLOW_PRIVATE_URLS === '1' || env.KLING_MCP_ALLOW_PRIVATE_URLS === 'true',
    localImages: !['0', 'false', 'off', 'no'].includes(env.KLING_MCP_LOCAL_IMAGES?.trim().toLowerCase() ?? ''),
    imageDirs: folderList(src, 'KLING_MCP_IMAGE_DIRS'),
    stateDir: path.resolve(env.KLING_MCP_STATE_DIR?.trim() || defaultStateDir(env)),
    outputDir: path.resolve(env.KLING_MCP_OUTPUT_DIR?.trim() || defaultOutputDir()),
    poll: {
      queueMinMs,
      queueMaxMs,
      expectedRunMs: expectedRun(src),
      nearMs: num(src, 'KLING_MCP_POLL_NEAR_MS', 1000, 50, 60_000),
      maxMs: num(src, 'KLING_MCP_POLL_MAX_MS', 15000, 100, 300_000),
    },
    upstreamRps: num(src, 'KLING_MCP_UPSTREAM_RPS', 10, 0.1, 1000),
    httpTimeoutMs: num(src, 'KLING_MCP_HTTP_TIMEOUT_S', 30, 0.1, 600) * 1000,
    logLevel: logLevel(src),
    spendLimitUsd: optionalUsd(src, 'KLING_MCP_SPEND_LIMIT_USD'),
    confirmAboveUsd: num(src, 'KLING_MCP_CONFIRM_ABOVE_USD', 2, 0, 1_000_000),
    pricePerSecondUsd: optionalUsd(src, 'KLING_MCP_PRICE_PER_SECOND_USD'),
    problems: src.problems,
  };
}
