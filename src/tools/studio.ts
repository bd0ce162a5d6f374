/** The studio's dependencies, from one job tool call's context. */
import type { JobCall } from './call.js';
import type { StudioDeps } from '../studio/deps.js';

export function studioOf(call: JobCall): StudioDeps {
  return {
    ledger: call.app.ledger,
    jobs: call.jobs,
    approval: call.approval,
    live: call.live,
    sources: () => call.app.imageSources(),
    clock: call.app.clock,
    log: call.app.log,
  };
}
