/**
 * Vitest fixtures over the rigs of helpers.ts: a test names what it needs and gets it set up, and closed after it
 * (or after the file, for the file's shared rigs), so no test carries try/finally.
 *
 *   const test = labTest({ clock: new VirtualClock(), sim: { timing }, env: { KLING_MCP_…: '…' } });
 *   test('…', async ({ sim, frames, connect }) => { const c = await connect(); … });
 *
 * File-scoped (one per labTest per file): `sim`, the simulator on loopback (on the lab's clock when it has one);
 * `frames`, a valid pair of keyframes it hosts; `shared`, one in-memory connection the file's tests share, with its
 * folder `sharedDir`. Test-scoped: `dir`, a fresh temp folder; `connect` (in memory, on the lab's clock) and `spawn`
 * (the built bin over stdio, on real time) open servers against `sim` with their state in `dir`, closed after the test.
 * With a clock, the simulator and every in-memory server share it: a two-minute job runs in milliseconds. A call's
 * budgets (its wait, the time it may save a result or check frames in) run on that clock too, and a sleep on it
 * fires every timer it passes: so a test that runs calls at once on one virtual clock must not rely on a budget of
 * one outlasting the real I/O (a download, a frame fetch) of another.
 */
/* eslint-disable no-empty-pattern -- vitest reads a fixture's dependencies from its first parameter: none is {} */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, test } from 'vitest';
import type { RunComfySimulator, SimulatorOptions } from '../src/simulator/simulator.js';
import type { Clock } from '../src/util/clock.js';
import { connectInMemory, connectStdio, keyframes, simEnv, startSim, tempDir, type Connected, type Env, type Spawned } from './helpers.js';

export interface LabOptions {
  /** The simulator's options, over startSim's fast defaults. */
  sim?: SimulatorOptions;
  /** Server settings over simEnv's, for every server of the lab. */
  env?: Env;
  /** One clock for the simulator and the in-memory servers (a VirtualClock, so their sleeps cost no real time). */
  clock?: Clock;
}

export interface ConnectOptions {
  /** Settings over the lab's. */
  env?: Env;
  /** The state and output folder (default: the test's `dir`, so two servers of one test share a ledger). */
  dir?: string;
  /** Another simulator to talk to (default: the lab's). */
  sim?: RunComfySimulator;
  /** A client prepared beforehand (capabilities, handlers). */
  client?: Client;
  /** The in-memory server's clock (default: the lab's), e.g. real time beside a server over stdio. */
  clock?: Clock;
  /** The clock of the ledger open's limit (default: real time), to drive a hung open. */
  diskClock?: Clock;
}

export function labTest(lab: LabOptions = {}) {
  return test
    .extend('lab', { scope: 'file' }, lab)
    .extend('sim', { scope: 'file' }, async ({ lab }, { onCleanup }) => {
      const sim = await startSim({ ...lab.sim, ...(lab.clock && { clock: lab.clock }) });
      onCleanup(() => sim.stop());
      return sim;
    })
    .extend('frames', { scope: 'file' }, ({ sim }) => keyframes(sim))
    .extend('sharedDir', { scope: 'file' }, ({}, { onCleanup }) => {
      const tmp = tempDir();
      onCleanup(tmp.cleanup);
      return tmp.dir;
    })
    .extend('shared', { scope: 'file' }, async ({ lab, sim, sharedDir }, { onCleanup }): Promise<Connected> => {
      const c = await connectInMemory(simEnv(sim, sharedDir, lab.env), lab.clock);
      onCleanup(c.close);
      return c;
    })
    .extend('dir', ({}, { onCleanup }) => {
      const tmp = tempDir();
      onCleanup(tmp.cleanup);
      return tmp.dir;
    })
    .extend('connect', ({ lab, sim, dir }, { onCleanup }) => {
      const open: Connected[] = [];
      onCleanup(() => closeAll(open));
      return async (options: ConnectOptions = {}): Promise<Connected> => {
        const c = await connectInMemory(
          simEnv(options.sim ?? sim, options.dir ?? dir, { ...lab.env, ...options.env }),
          options.clock ?? lab.clock,
          options.client,
          options.diskClock,
        );
        open.push(c);
        return c;
      };
    })
    .extend('spawn', ({ lab, sim, dir }, { onCleanup }) => {
      const open: Spawned[] = [];
      onCleanup(() => closeAll(open));
      return async (options: ConnectOptions = {}): Promise<Spawned> => {
        const c = await connectStdio(simEnv(options.sim ?? sim, options.dir ?? dir, { ...lab.env, ...options.env }), options.client);
        open.push(c);
        return c;
      };
    });
}

/** Closes every one, even when another fails to close. */
async function closeAll(open: { close: () => Promise<void> }[]): Promise<void> {
  const results = await Promise.allSettled(open.map((c) => c.close()));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export interface Lab {
  sim: RunComfySimulator;
  c: Connected;
  dir: string;
}

/** The older form of `shared`, by beforeAll/afterAll, for the files not yet on labTest (contract, preflight). */
export function useLab(opts: LabOptions = {}): Lab {
  const lab = {} as Lab;
  let cleanup = () => {};
  beforeAll(async () => {
    lab.sim = await startSim({ ...opts.sim, ...(opts.clock && { clock: opts.clock }) });
    const tmp = tempDir();
    lab.dir = tmp.dir;
    cleanup = tmp.cleanup;
    lab.c = await connectInMemory(simEnv(lab.sim, tmp.dir, opts.env), opts.clock);
  });
  afterAll(async () => {
    await lab.c?.close();
    await lab.sim?.stop();
    cleanup();
  });
  return lab;
}
