/** The spend as the ledger's records make it: pure, checked on folded events without a server. */
import { describe, expect, it } from 'vitest';
import { jobCostUsd } from '../src/ledger/records.js';
import type { LedgerEvent } from '../src/ledger/records.js';
import { at, fold, input, job, spendOf, T0 } from './records.js';

/** The spend of a folded history, with its sources made the way the ledger's queries make them (ledger/store.ts#spendSources). */
const spend = (since: number, events: LedgerEvent[]) => spendOf(fold(events), since);
const submitted = (id: string, s: number, estimate_usd?: number, board?: { id: string; shot: number }): LedgerEvent => ({
  t: 'submitted',
  id,
  at: at(s),
  input: input(),
  estimate_usd,
  board,
});
const board = (id: string, s: number, estimates: (number | undefined)[]): LedgerEvent => ({
  t: 'storyboard',
  id,
  at: at(s),
  shots: estimates.map((estimate_usd) => ({ ...input(), estimate_usd })),
});

describe('jobCostUsd', () => {
  it("RunComfy's charge when known, else the estimate; a job cancelled in the queue costs nothing", () => {
    expect(jobCostUsd(job('a', [submitted('a', 0, 0.56), { t: 'cost', at: at(9), charged_usd: 0.5 }]))).toBe(0.5);
    expect(jobCostUsd(job('a', [submitted('a', 0, 0.56)]))).toBe(0.56);
    expect(jobCostUsd(job('a', [submitted('a', 0, 0.56), { t: 'state', at: at(1), status: 'cancelled' }]))).toBe(0);
    expect(jobCostUsd(job('a', [submitted('a', 0)]))).toBeUndefined();
  });
});

describe('spendSince', () => {
  it('counts jobs submitted in the window, not before it; unpriced ones count as $0 and are told apart', () => {
    const view = spend(at(100), [submitted('old', 99, 5), submitted('a', 100, 0.56), submitted('b', 200), submitted('c', 300, 1.12)]);
    expect(view).toEqual({ usd: 1.68, jobs: 3, unpriced: 1 });
  });

  it('submissions in flight count by when they were recorded, and so do those of a dead process', () => {
    const pending = (id: string, s: number, pid?: number): LedgerEvent => ({ t: 'submitting', id, at: at(s), input: input(), estimate_usd: 0.56, pid });
    expect(spend(at(100), [pending('p-old', 50), pending('p-1', 150), pending('p-2', 160, 999_999)])).toEqual({ usd: 1.12, jobs: 2, unpriced: 0 });
  });

  it('a pending submission that resolved counts once, as its job', () => {
    const events: LedgerEvent[] = [
      { t: 'submitting', id: 'p-1', at: at(1), input: input(), estimate_usd: 0.56 },
      { t: 'submitted', id: 'job-1', at: at(2), input: input(), estimate_usd: 0.56, intent: 'p-1' },
    ];
    expect(spend(T0, events)).toEqual({ usd: 0.56, jobs: 1, unpriced: 0 });
    expect(spend(T0, [events[0]!, { t: 'submit_failed', id: 'p-1', at: at(2), error: 'refused' }])).toEqual({ usd: 0, jobs: 0, unpriced: 0 });
  });

  it('an open storyboard reserves each shot until it is submitted, counting the shot once whether pending or a job', () => {
    const events: LedgerEvent[] = [
      board('sb-1', 10, [0.56, 1.12, 0.56, undefined]),
      submitted('j-1', 20, 0.56, { id: 'sb-1', shot: 1 }),
      { t: 'submitting', id: 'p-2', at: at(21), input: input(), estimate_usd: 1.12, board: { id: 'sb-1', shot: 2 } },
    ];
    // Shot 1 as its job, shot 2 as its pending submission, shots 3 and 4 as reserved (4 unpriced).
    expect(spend(T0, events)).toEqual({ usd: 2.24, jobs: 4, unpriced: 1 });
  });

  it('a shot submitted before the window still holds its reservation off, and a resubmitted shot counts each job', () => {
    const events: LedgerEvent[] = [
      board('sb-1', 10, [0.56, 0.56]),
      submitted('j-1', 20, 0.56, { id: 'sb-1', shot: 1 }),
      submitted('j-2a', 20, 0.56, { id: 'sb-1', shot: 2 }),
      { t: 'state', id: 'j-2a', at: at(30), status: 'failed' },
      submitted('j-2b', 40, 0.56, { id: 'sb-1', shot: 2 }),
    ];
    expect(spend(T0, events)).toEqual({ usd: 1.68, jobs: 3, unpriced: 0 });
    // From t=15 the board's creation is out of the window: only the jobs inside it count.
    expect(spend(at(15), events)).toEqual({ usd: 1.68, jobs: 3, unpriced: 0 });
    expect(spend(at(30), events)).toEqual({ usd: 0.56, jobs: 1, unpriced: 0 });
  });

  it('a closed storyboard, or one planned before the window, reserves nothing', () => {
    const closed: LedgerEvent[] = [board('sb-1', 10, [0.56, 0.56]), { t: 'storyboard_closed', id: 'sb-1', at: at(11), reason: 'cancelled' }];
    expect(spend(T0, closed)).toEqual({ usd: 0, jobs: 0, unpriced: 0 });
    expect(spend(at(11), [board('sb-1', 10, [0.56, 0.56])])).toEqual({ usd: 0, jobs: 0, unpriced: 0 });
  });

  it('sums without float dust', () => {
    expect(spend(T0, [submitted('a', 0, 0.1), submitted('b', 1, 0.2)]).usd).toBe(0.3);
  });
});
