/** A vitest fixture: a simulator on loopback, a temp folder and an in-memory client, set up once per describe. */
import { afterAll, beforeAll } from 'vitest';
import type { RunComfySimulator, SimulatorOptions } from '../src/simulator/simulator.js';
import type { Clock } from '../src/util/clock.js';
import { connectInMemory, simEnv, startSim, tempDir, type Connected } from './helpers.js';

export interface Lab {
  sim: RunComfySimulator;
  c: Connected;
  dir: string;
}

export function useLab(opts: { sim?: SimulatorOptions; env?: Record<string, string | undefined>; clock?: Clock } = {}): Lab {
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
