/**
 * `npm run simulator`: the RunComfy simulator as a local service, so the
 * server (or any agent setup) can run offline against RUNCOMFY_BASE_URL (and RUNCOMFY_ACCOUNT_BASE_URL).
 */
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { modelById } from '../models/registry.js';
import { DRIFT_FIELD, RunComfySimulator, SIM_DEFAULT_BALANCE_USD, SIM_TOKEN } from './simulator.js';

const USAGE = `Usage: npm run simulator -- [--port 8787] [--host 127.0.0.1] [--token T] [--queue-s 3] [--run5-s 20] [--run10-s 35] [--balance-usd ${SIM_DEFAULT_BALANCE_USD}] [--drift MODEL_ID]...
Each option also reads SIM_PORT, SIM_HOST, SIM_TOKEN, SIM_QUEUE_S, SIM_RUN5_S, SIM_RUN10_S, SIM_BALANCE_USD.
--balance-usd is the account's balance before any job (0 or negative: spent); a job that would take it below 0 is refused (400002).
--drift makes that model's live input schema require a new field, "${DRIFT_FIELD}", as if RunComfy had changed it (kling-o1-mcp doctor then says so).
`;

/** A mistake in the arguments is the user's to fix: say what and how, not where in the code it was noticed. */
function fail(message: string): never {
  process.stderr.write(`simulator: ${message}\n${USAGE}`);
  process.exit(2);
}

const options = {
  port: { type: 'string', default: process.env.SIM_PORT ?? '8787' },
  host: { type: 'string', default: process.env.SIM_HOST ?? '127.0.0.1' },
  token: { type: 'string', default: process.env.SIM_TOKEN ?? SIM_TOKEN },
  'queue-s': { type: 'string', default: process.env.SIM_QUEUE_S ?? '3' },
  'run5-s': { type: 'string', default: process.env.SIM_RUN5_S ?? '20' },
  'run10-s': { type: 'string', default: process.env.SIM_RUN10_S ?? '35' },
  'balance-usd': { type: 'string', default: process.env.SIM_BALANCE_USD ?? '' },
  drift: { type: 'string', multiple: true, default: [] as string[] },
  help: { type: 'boolean', default: false },
} as const;
const values = (() => {
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
})();

// This command is not the MCP server: its stdout is the user's terminal.
// eslint-disable-next-line no-restricted-properties -- this command's stdout is the terminal
const say = (text: string) => process.stdout.write(text); // stdout-ok

if (values.help) {
  say(USAGE);
  process.exit(0);
}

const seconds = (name: string, v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) fail(`--${name} must be a number of seconds ≥ 0 (got "${v}").`);
  return n * 1000;
};
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, 0 to 65535 (got "${values.port}").`);
const queueMs = seconds('queue-s', values['queue-s']);
const balanceUsd = (() => {
  const v = values['balance-usd'].trim();
  if (v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`--balance-usd must be a number of US dollars, of either sign (got "${v}").`);
  return n;
})();
const sim = new RunComfySimulator({
  port,
  host: values.host,
  token: values.token,
  balanceUsd,
  schemaChanges: Object.fromEntries(
    values.drift.map((id) => {
      if (!modelById(id)) fail(`--drift: "${id}" is not a model id this simulator serves.`);
      return [id, [{ require: DRIFT_FIELD }]];
    }),
  ),
  timing: { 5: { queueMs, runMs: seconds('run5-s', values['run5-s']) }, 10: { queueMs, runMs: seconds('run10-s', values['run10-s']) } },
  log: (l) => process.stderr.write(`[simulator] ${l}\n`),
});
const url = await sim.start().catch((err: unknown) => fail(`cannot listen on ${values.host}:${port}: ${(err as Error).message}`));
const frame = (color: string) =>
  sharp({ create: { width: 1280, height: 720, channels: 3, background: color } })
    .png()
    .toBuffer();
const start = sim.host('start.png', await frame('#f4a261'), 'image/png');
const end = sim.host('end.png', await frame('#264653'), 'image/png');
say(`RunComfy simulator listening on ${url}
Point kling-o1-mcp at it with:
  RUNCOMFY_BASE_URL=${url}
  RUNCOMFY_ACCOUNT_BASE_URL=${url}
  RUNCOMFY_API_TOKEN=${values.token}
  KLING_MCP_ALLOW_PRIVATE_URLS=1
Sample keyframes: ${start} and ${end}
Ctrl-C stops it.
`);
const stop = () => void sim.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
