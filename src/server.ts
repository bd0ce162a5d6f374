#!/usr/bin/env node
/**
 * Entry point: the kling-o1-mcp server on stdio. stdout carries JSON-RPC only; logs go to stderr. With arguments it is
 * a terminal command instead (--help, --version, doctor), which answers and exits without reading stdin.
 */
import { createServer } from './app.js';
import { commandOf, readPackageInfo, usage } from './cli/command.js';
import { loadConfig } from './config.js';
import { AppContext } from './context.js';
import { LineTransport } from './transport.js';
import { createLogger } from './util/log.js';
import { redact, registerSecret } from './util/redact.js';

/** When the ledger opens if no call has opened it yet: after a client's initialize and tools/list, in practice. */
const LEDGER_WARMUP_MS = 1_000;

/** The terminal commands write to stdout: no MCP client is on the other end of it. */
function say(text: string): void {
  // eslint-disable-next-line no-restricted-properties -- --help, --version and doctor answer a terminal, not a client
  process.stdout.write(text); // stdout-ok
}

async function main(): Promise<void> {
  registerSecret(process.env.RUNCOMFY_API_TOKEN?.trim());
  const command = commandOf(process.argv.slice(2));
  if (command.run === 'help') return say(usage(readPackageInfo(import.meta.url)));
  if (command.run === 'version') return say(`${readPackageInfo(import.meta.url).version}\n`);
  if (command.run === 'doctor') {
    // Imported here: no start of the server parses the doctor, nor what it loads.
    const { doctor } = await import('./cli/doctor.js');
    process.exitCode = await doctor({ env: process.env, pkg: readPackageInfo(import.meta.url), write: say });
    return;
  }
  if (command.run === 'mistake') {
    process.stderr.write(`${command.problem}\n\n${usage(readPackageInfo(import.meta.url))}`);
    process.exitCode = 2;
    return;
  }
  if (process.stdin.isTTY) {
    process.stderr.write('kling-o1-mcp speaks MCP on stdio: an MCP client starts it. `kling-o1-mcp --help` says how to set it up.\n');
  }
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const app = new AppContext(config, log);
  const server = createServer(app);
  await server.connect(new LineTransport(log));
  log.info(`ready on stdio; RunComfy at ${config.baseUrl}; ${config.token ? 'token set' : 'RUNCOMFY_API_TOKEN not set (tools will explain)'}`);
  const init = () => void app.init().catch((err: unknown) => log.error((err as Error).message));
  // Bad settings are reported at once. The ledger (libsql's native binary, the file) waits until the handshake is
  // answered, which needs neither: a call before then opens it itself.
  if (config.problems.length > 0) init();
  else setTimeout(init, LEDGER_WARMUP_MS).unref();
  const stop = () => {
    void server.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
}

function die(err: unknown): never {
  const msg = `fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  process.stderr.write(`[kling-o1-mcp] ${redact(msg)}\n`);
  process.exit(1);
}

// Crash output passes through redact() too.
process.on('uncaughtException', die);
process.on('unhandledRejection', die);
main().catch(die);
