/** Where a storyboard stands and how it is shown, and its continuity warnings: pure functions, checked without a server. */
import { describe, expect, it } from 'vitest';
import type { LedgerEvent, PendingSubmission } from '../src/ledger/records.js';
import { atCut } from '../src/ledger/records.js';
import { readyShot, shotEngines } from '../src/storyboards/check.js';
import { continuityWarnings, type FrameFacts } from '../src/storyboards/continuity.js';
import { decideCut } from '../src/storyboards/revise.js';
import { boardTakes, nextTake } from '../src/storyboards/takes.js';
import { boardStatus, shotStates, type ShotState } from '../src/storyboards/shots.js';
import { boardView } from '../src/storyboards/view.js';
import { at, board, fold, input, slice, spendOf, T0 } from './records.js';

const ALIVE = 101;
const DEAD = 202;
const isAlive = (p: PendingSubmission) => p.pid === undefined || p.pid === ALIVE;
const VIDEO = (id: string) => `https://cdn.runcomfy.example/outputs/${id}.mp4`;
const clip = (id: string) => ({ url: VIDEO(id), path: `/videos/${id}.mp4`, bytes: 1000, sha256: id.padEnd(64, '0'), mime: 'video/mp4' });

/** A 3-shot board "sb-1" planned at T0 for $0.56 a shot. */
const planned: LedgerEvent = {
  t: 'storyboard',
  id: 'sb-1',
  at: T0,
  title: 'sunrise',
  shots: [1, 2, 3].map((i) => ({ ...input(`shot ${i}`), estimate_usd: 0.56 })),
  estimate_usd: 1.68,
};

/** Events of one job of shot `shot` of sb-1. */
function shotJob(id: string, shot: number, submittedS: number, states: string[], extra: LedgerEvent[] = []): LedgerEvent[] {
  return [
    { t: 'submitted', id, at: at(submittedS), input: input(`shot ${shot}`), estimate_usd: 0.56, board: { id: 'sb-1', shot } },
    ...states.map((status, i): LedgerEvent => ({ t: 'state', id, at: at(submittedS + i + 1), status })),
    ...extra,
  ];
}

function completed(id: string, shot: number, submittedS = 1): LedgerEvent[] {
  return shotJob(
    id,
    shot,
    submittedS,
    ['in_progress', 'completed'],
    [
      { t: 'output', id, at: at(submittedS + 3), output: { video: VIDEO(id) } },
      { t: 'file', id, at: at(submittedS + 3), file: clip(id) },
      { t: 'cost', id, at: at(submittedS + 3), charged_usd: 0.56 },
    ],
  );
}

function stand(events: LedgerEvent[]): { states: ShotState[]; phases: string[] } {
  const records = fold([planned, ...events]);
  const states = shotStates(slice(records, 'sb-1'), isAlive);
  return { states, phases: states.map((s) => s.phase) };
}

describe('shotStates', () => {
  it('each shot stands where its job is; a shot with none is not submitted; other boards do not count', () => {
    const other: LedgerEvent = { t: 'submitted', id: 'x-1', at: at(1), input: input(), board: { id: 'sb-2', shot: 3 } };
    const { phases } = stand([...completed('j-1', 1), ...shotJob('j-2', 2, 1, ['in_queue']), other]);
    expect(phases).toEqual(['completed', 'queued', 'not_submitted']);
  });

  it('a job with no state seen yet is queued', () => {
    expect(stand(shotJob('j-1', 1, 1, [])).phases[0]).toBe('queued');
  });

  it('a resubmitted shot stands where its newest job is, and keeps the ones it replaced', () => {
    const { states } = stand([...shotJob('j-old', 2, 1, ['in_progress', 'failed']), ...shotJob('j-new', 2, 10, ['in_progress'])]);
    expect(states[1]).toMatchObject({ index: 2, phase: 'running', job: { request_id: 'j-new' } });
    expect(states[1]!.earlier.map((j) => j.request_id)).toEqual(['j-old']);
  });

  it('a submission in flight is "submitting" while its process lives, and outcome_unknown once it is dead', () => {
    const pending = (shot: number, pid?: number): LedgerEvent => ({
      t: 'submitting',
      id: `p-${shot}`,
      at: at(1),
      input: input(),
      board: { id: 'sb-1', shot },
      pid,
    });
    expect(stand([pending(1, ALIVE), pending(2, DEAD), pending(3)]).phases).toEqual(['submitting', 'outcome_unknown', 'submitting']);
  });

  it('a pending resubmission is newer than the failed job it replaces', () => {
    const { states } = stand([
      ...shotJob('j-old', 1, 1, ['failed']),
      { t: 'submitting', id: 'p-1', at: at(9), input: input(), board: { id: 'sb-1', shot: 1 }, pid: ALIVE },
    ]);
    expect(states[0]).toMatchObject({ phase: 'submitting', pending: { id: 'p-1' }, job: { request_id: 'j-old' } });
  });

  it('a submission that got no answer is outcome_unknown until a state is seen', () => {
    const lost: LedgerEvent = { t: 'submit_unknown', id: 'unknown-1', at: at(1), input: input(), error: 'no answer', board: { id: 'sb-1', shot: 1 } };
    expect(stand([lost]).phases[0]).toBe('outcome_unknown');
  });
});

describe('boardStatus', () => {
  const status = (events: LedgerEvent[], closed = false) => {
    const records = fold([planned, ...events, ...(closed ? [{ t: 'storyboard_closed', id: 'sb-1', at: at(50), reason: 'cancel' } as LedgerEvent] : [])]);
    const b = board(records, 'sb-1');
    return boardStatus(b, shotStates(slice(records, 'sb-1'), isAlive));
  };
  const all = [...completed('j-1', 1), ...completed('j-2', 2), ...completed('j-3', 3)];

  it('completed only when every shot is', () => {
    expect(status(all)).toBe('completed');
    expect(status(all.slice(0, -5))).not.toBe('completed');
  });

  it('running while any shot is queued, running or being submitted, even on a cancelled board', () => {
    expect(status([...completed('j-1', 1), ...shotJob('j-2', 2, 1, ['in_progress'])])).toBe('running');
    expect(status([{ t: 'submitting', id: 'p-1', at: at(1), input: input(), board: { id: 'sb-1', shot: 1 }, pid: ALIVE }])).toBe('running');
    expect(status(shotJob('j-1', 1, 1, ['in_queue']), true)).toBe('running');
  });

  it('cancelled once closed with nothing running; planned while shots are left; else needs attention', () => {
    expect(status(completed('j-1', 1), true)).toBe('cancelled');
    expect(status(completed('j-1', 1))).toBe('planned');
    expect(status([])).toBe('planned');
    expect(status([...completed('j-1', 1), ...completed('j-2', 2), ...shotJob('j-3', 3, 1, ['failed'])])).toBe('needs_attention');
    expect(
      status([
        ...completed('j-1', 1),
        ...completed('j-2', 2),
        { t: 'submitting', id: 'p-3', at: at(1), input: input(), board: { id: 'sb-1', shot: 3 }, pid: DEAD },
      ]),
    ).toBe('needs_attention');
  });
});

describe('boardView', () => {
  const view = (events: LedgerEvent[]) => {
    const records = fold([planned, ...events]);
    const b = board(records, 'sb-1');
    const s = slice(records, 'sb-1');
    return boardView(b, shotStates(s, isAlive), s);
  };

  it('a board with a resubmitted shot: each shot its current job, the replaced ones listed, and every charge counted', () => {
    const { structured, text } = view([
      ...completed('j-1', 1),
      ...shotJob(
        'j-2a',
        2,
        1,
        ['in_progress', 'failed'],
        [
          { t: 'error', id: 'j-2a', at: at(4), code: 'job_failed', message: 'GPU fell over' },
          { t: 'cost', id: 'j-2a', at: at(4), charged_usd: 0.1 },
        ],
      ),
      ...completed('j-2b', 2, 10),
      ...completed('j-3', 3),
    ]);
    expect(structured.status).toBe('completed');
    expect(structured.shots.map((s) => [s.index, s.request_id, s.status, s.done])).toEqual([
      [1, 'j-1', 'completed', true],
      [2, 'j-2b', 'completed', true],
      [3, 'j-3', 'completed', true],
    ]);
    expect(structured.shots[1]!.earlier_request_ids).toEqual(['j-2a']);
    expect(structured.shots[1]!.files).toEqual([clip('j-2b')]);
    expect(structured.cost).toEqual({ estimate_usd: 1.68, charged_usd: 1.78 });
    expect(text).toContain('Storyboard sb-1 "sunrise": completed (3/3 shots completed).');
    expect(text).toContain('- shot 2 (5 s): completed · j-2b · /videos/j-2b.mp4');
    expect(text).toContain('Cost of this cut: about $1.68 expected; $1.78 charged so far.');
    expect(text).toContain('Cost of the whole board: $1.78 charged so far (4 takes, 1 cut).');
    expect(structured.costs.this_call).toBeUndefined();
    expect(structured.film).toBeNull();
    expect(structured.next_step).toMatch(/call get_storyboard with \{"storyboard_id": "sb-1"\} to save the clips and stitch the film/);
  });

  it('a failed shot shows its reason; a lost submission has no request_id and sends the user to the dashboard first', () => {
    const { structured } = view([
      ...completed('j-1', 1),
      ...shotJob('j-2', 2, 1, ['failed'], [{ t: 'error', id: 'j-2', at: at(3), code: 'job_failed', message: 'GPU fell over' }]),
      { t: 'submit_unknown', id: 'unknown-3', at: at(1), input: input('shot 3'), error: 'no answer', board: { id: 'sb-1', shot: 3 } },
    ]);
    expect(structured.status).toBe('needs_attention');
    expect(structured.shots[1]).toMatchObject({ status: 'failed', error: 'GPU fell over', done: true });
    expect(structured.shots[2]).toMatchObject({ status: 'outcome_unknown', done: false });
    expect(structured.shots[2]!.request_id).toBeUndefined();
    expect(structured.next_step).toMatch(
      /^Shot\(s\) 2 failed or were cancelled: .*"resubmit_failed": true.*shot\(s\) 3 got no answer: check your RunComfy dashboard first.*"resubmit_unknown": true/,
    );
  });

  it('a shot being submitted by a dead process is outcome_unknown', () => {
    const { structured } = view([{ t: 'submitting', id: 'p-1', at: at(1), input: input('shot 1'), board: { id: 'sb-1', shot: 1 }, pid: DEAD }]);
    expect(structured.shots[0]!.status).toBe('outcome_unknown');
  });

  it('the film, the contact sheet and every clip are linked; a stale film error is not shown beside a film', () => {
    const film = { ...clip('sb-1'), path: '/videos/sb-1.mp4', duration_s: 15.1, frames: 362, clips: ['a', 'b', 'c'] };
    const sheet = { ...clip('sheet'), path: '/videos/sb-1.png', mime: 'image/png' };
    const { structured, text, links } = view([
      ...completed('j-1', 1),
      ...completed('j-2', 2),
      ...completed('j-3', 3),
      { t: 'film_error', id: 'sb-1', at: at(20), message: 'disk full' },
      { t: 'film', id: 'sb-1', at: at(30), film },
      { t: 'sheet', id: 'sb-1', at: at(30), file: sheet },
    ]);
    expect(structured.film).toEqual(film);
    expect(structured.film_error).toBeUndefined();
    expect(text).toMatch(/^Film: \/videos\/sb-1\.mp4 \(15\.1 s, 362 frames/m);
    expect(structured.next_step).toBe('Done: the film and every clip are saved.');
    expect(links?.map((l) => l.name)).toEqual(['sb-1.mp4', 'sb-1.png', 'j-1.mp4', 'j-2.mp4', 'j-3.mp4']);
  });

  it('a planned board: no charge yet, and how to go on', () => {
    const { structured, text } = view([]);
    expect(structured.status).toBe('planned');
    expect(structured.cost).toEqual({ estimate_usd: 1.68, charged_usd: null });
    expect(text).toContain('- shot 1 (5 s): not_submitted');
    expect(text).toContain('Cost of this cut: about $1.68 expected.');
    expect(text).toContain('Cost of the whole board: $0.00 charged so far (0 takes, 1 cut).');
    expect(structured.next_step).toMatch(/"wait_seconds": 50/);
  });
});

describe('continuityWarnings', () => {
  const frame = (sha256: string, width = 1280, height = 720): FrameFacts => ({ sha256, width, height });

  it('a chain where each shot starts on the frame the last one ended on, all of one shape: no warning', () => {
    expect(
      continuityWarnings([
        { start: frame('a'), end: frame('b') },
        { start: frame('b'), end: frame('c') },
      ]),
    ).toEqual([]);
  });

  it('a cut between two shots is named by its shots', () => {
    const w = continuityWarnings([
      { start: frame('a'), end: frame('b') },
      { start: frame('b'), end: frame('c') },
      { start: frame('x'), end: frame('y') },
    ]);
    expect(w).toEqual([expect.stringMatching(/^Cut between shot 2 and shot 3: shot 2 ends on another frame than shot 3 starts with/)]);
  });

  it("frames off shot 1's aspect ratio by more than 2 % are listed; within it, they pass", () => {
    expect(continuityWarnings([{ start: frame('a', 1280, 720), end: frame('b', 1270, 720) }])).toEqual([]);
    const w = continuityWarnings([
      { start: frame('a', 1280, 720), end: frame('b') },
      { start: frame('b'), end: frame('c', 640, 480) },
    ]);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^Aspect ratios differ by more than 2 % from shot 1's start frame \(1280×720\): shot 2 end \(640×480\)\. /);
  });
});

describe('takes and cuts', () => {
  /** Cut 2 of sb-1: shot 1 reuses take 1, shot 2 is rendered in its own slot, shot 3 shares cut 1's unsent render of shot 3. */
  const cut2: LedgerEvent = {
    t: 'cut',
    id: 'sb-1',
    at: at(20),
    cut: 2,
    shots: [
      { ...input('shot 1'), take: 1, reason: 'same prompt, duration and frames as take 1' },
      { ...input('shot 2, slower'), estimate_usd: 0.56, reason: 'prompt changed' },
      { ...input('shot 3'), slot: { cut: 1, shot: 3 }, estimate_usd: 0.56 },
    ],
  };
  const recorded = (id: string, cut: number, shot: number, take: number, submittedS: number, states: string[]): LedgerEvent[] => [
    { t: 'submitted', id, at: at(submittedS), input: input(`shot ${shot}`), estimate_usd: 0.56, board: { id: 'sb-1', shot, cut, take } },
    ...states.map((status, i): LedgerEvent => ({ t: 'state', id, at: at(submittedS + i + 1), status })),
  ];

  it('jobs of older ledgers are numbered first, in submission order; recorded numbers stand; the next is past every job and submission in flight', () => {
    const records = fold([planned, ...shotJob('j-b', 2, 2, []), ...shotJob('j-a', 1, 1, []), ...recorded('j-c', 1, 3, 7, 3, [])]);
    const { jobs, pending } = slice(records, 'sb-1');
    expect(boardTakes(jobs).map((t) => [t.take, t.job.request_id])).toEqual([
      [1, 'j-a'],
      [2, 'j-b'],
      [7, 'j-c'],
    ]);
    expect(nextTake(jobs, pending)).toBe(8);
    const flying: LedgerEvent = { t: 'submitting', id: 'p-1', at: at(4), input: input(), board: { id: 'sb-1', shot: 1, take: 9 }, pid: ALIVE };
    const more = slice(fold([planned, ...shotJob('j-a', 1, 1, []), flying]), 'sb-1');
    expect(nextTake(more.jobs, more.pending)).toBe(10);
  });

  it('a cut: a reused take, a render of its own slot, a shared slot of the cut before; the films of both cuts kept apart', () => {
    const film = {
      url: 'kling://storyboards/sb-1',
      path: '/videos/sb-1.mp4',
      bytes: 1,
      sha256: 'f'.repeat(64),
      mime: 'video/mp4',
      duration_s: 15,
      frames: 60,
      clips: [],
    };
    const records = fold([
      planned,
      ...completed('j-1', 1),
      ...completed('j-2', 2),
      { t: 'film', id: 'sb-1', at: at(9), film },
      cut2,
      ...recorded('j-5', 2, 2, 5, 21, ['in_progress']),
    ]);
    const b = board(records, 'sb-1');
    expect(b).toMatchObject({ cut: 2, film: undefined });
    expect(b.cuts.map((c) => [c.cut, c.film?.path])).toEqual([
      [1, '/videos/sb-1.mp4'],
      [2, undefined],
    ]);
    expect(atCut(b, 1).film?.path).toBe('/videos/sb-1.mp4');
    const states = shotStates(slice(records, 'sb-1'), isAlive);
    expect(states.map((s) => [s.phase, s.take, s.reused, s.slot])).toEqual([
      ['completed', 1, true, { cut: 2, shot: 1 }],
      ['running', 5, false, { cut: 2, shot: 2 }],
      ['not_submitted', undefined, false, { cut: 1, shot: 3 }],
    ]);
    const view = boardView(b, states, slice(records, 'sb-1')).structured;
    expect(view).toMatchObject({ cut: 2, cuts: 2 });
    expect(view.shots.map((s) => [s.source, s.reason])).toEqual([
      ['reused', 'same prompt, duration and frames as take 1'],
      ['rendered', 'prompt changed'],
      ['rendered', undefined],
    ]);
    // Only the renders still to send are reserved: the shared slot of shot 3 once, the reused take not at all.
    expect(spendOf(records, T0).usd).toBe(0.56 * 4);
  });

  it('a reused take that failed, submitted again, is replaced by the job of its own slot', () => {
    const records = fold([planned, ...shotJob('j-1', 1, 1, ['failed']), cut2, ...recorded('j-9', 2, 1, 9, 30, ['in_queue'])]);
    const s = shotStates(slice(records, 'sb-1'), isAlive)[0]!;
    expect(s).toMatchObject({ phase: 'queued', take: 9, reused: false });
    expect(s.earlier.map((j) => j.request_id)).toEqual(['j-1']);
  });

  it('decideCut: reuse by content under another URL, a re-roll, a twin in the same list, an unsent render shared', () => {
    const records = fold([planned, ...completed('j-1', 1)]);
    const b = board(records, 'sb-1');
    const frame = (ref: string) => ({ send: ref, record: ref, sha256: `sha-of-${ref.replace(/^.*\//, '').replace('moved-', '')}` });
    const asked = [
      { ...input('shot 1'), start_image_url: 'https://elsewhere.example/moved-start.png' },
      { ...input('shot 1'), take: 'new' as const },
      { ...input('a new shot') },
      { ...input('a new shot') },
      { ...input('shot 3') },
    ].map((s) => ({ ...s, duration: 5 as const }));
    const engines = shotEngines(
      asked,
      asked.map((_, i) => i + 1),
      {},
    );
    const checked = new Map([...engines].map(([i, s]) => [i, readyShot(s, frame(s.shot.start_image_url), frame(s.shot.end_image_url))]));
    // The plan's shot records carry the same digests.
    const withDigests = { ...b, shots: b.shots.map((s) => ({ ...s, image_sha256: { start_image_url: 'sha-of-start.png', end_image_url: 'sha-of-end.png' } })) };
    const jobs = slice(records, 'sb-1');
    const j1 = { ...jobs.jobs[0]!, input: { ...jobs.jobs[0]!.input!, image_sha256: { start_image_url: 'sha-of-start.png', end_image_url: 'sha-of-end.png' } } };
    const d = decideCut({ board: withDigests, jobs: [j1], pending: [] }, asked, checked, isAlive);
    expect(d.renders).toEqual([2, 3]);
    expect(d.shots.map((s) => [s.take, s.slot, s.reroll, s.reason])).toEqual([
      [1, undefined, undefined, 'same prompt, duration and frames as take 1'],
      [undefined, undefined, true, 're-roll'],
      [undefined, undefined, undefined, 'prompt changed'],
      [undefined, { cut: 2, shot: 3 }, undefined, 'same as shot 3'],
      [undefined, { cut: 1, shot: 3 }, undefined, 'same as shot 3 of cut 1, not yet submitted'],
    ]);
  });
});
