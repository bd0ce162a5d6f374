/** The job view and the job summary: pure functions of what is known, checked without a server. */
import { describe, expect, it } from 'vitest';
import type { JobFacts } from '../src/jobs/jobs.js';
import { summarize } from '../src/jobs/summary.js';
import { jobView } from '../src/tools/job-view.js';
import { at, input, job, T0 } from './records.js';

const VIDEO = 'https://cdn.runcomfy.example/outputs/abc.mp4';
const FILE = { url: VIDEO, path: '/videos/abc.mp4', bytes: 2_400_000, sha256: 'ab'.repeat(32), mime: 'video/mp4' };

function facts(over: Partial<JobFacts>): JobFacts {
  return { requestId: 'abc', status: 'in_progress', phase: 'running', submittedAt: T0, now: at(30), ...over };
}

describe('jobView', () => {
  it('a finished job: elapsed stops at its end, however late it is shown', () => {
    const { structured, text } = jobView(facts({ status: 'completed', phase: 'completed', endedAt: at(41), now: at(3600), output: { video: VIDEO } }));
    expect(structured).toMatchObject({ request_id: 'abc', status: 'completed', done: true, elapsed_s: 41, output: { video: VIDEO } });
    expect(text).toContain('Video ready (request_id abc) after 41 s.');
    expect(text).toContain(`Video URL: ${VIDEO}`);
  });

  it('a running job counts to now, and a clock behind the submission gives 0, not a negative time', () => {
    expect(jobView(facts({ now: at(30.4) })).structured.elapsed_s).toBe(30);
    expect(jobView(facts({ now: at(-5) })).structured.elapsed_s).toBe(0);
    const unknown = jobView(facts({ submittedAt: undefined }));
    expect(unknown.structured.elapsed_s).toBeUndefined();
    expect(unknown.text).toMatch(/^Job abc is in_progress\.$/m);
  });

  it('a wait that ran out says so, and tells how to go on waiting', () => {
    const { structured, text } = jobView(facts({ waitedOut: true }));
    expect(structured.done).toBe(false);
    expect(text).toContain("Job abc is in_progress after 30 s, and this call's wait ran out.");
    expect(structured.next_step).toBe(
      'The job keeps running upstream (30 s so far). Call get_result with {"request_id":"abc","wait_seconds":50} to wait for the video.',
    );
  });

  it('a queued job shows its place in the queue', () => {
    const { structured, text } = jobView(facts({ status: 'in_queue', phase: 'queued', queuePosition: 3 }));
    expect(structured.queue_position).toBe(3);
    expect(text).toContain('Job abc is in_queue at queue position 3 after 30 s.');
  });

  it('cost lines: charged (with the estimate beside it), charged alone, expected only, or none', () => {
    const cost = (f: Partial<JobFacts>) => {
      const v = jobView(facts({ status: 'completed', phase: 'completed', output: { video: VIDEO }, ...f }));
      return { field: v.structured.cost, line: v.text.split('\n').find((l) => l.startsWith('Cost:')) };
    };
    expect(cost({ estimateUsd: 0.56, chargedUsd: 0.5 })).toEqual({
      field: { estimate_usd: 0.56, charged_usd: 0.5 },
      line: 'Cost: $0.50 charged by RunComfy (expected $0.56).',
    });
    expect(cost({ chargedUsd: 0.5 })).toEqual({ field: { estimate_usd: null, charged_usd: 0.5 }, line: 'Cost: $0.50 charged by RunComfy.' });
    expect(cost({ estimateUsd: 1120 })).toEqual({
      field: { estimate_usd: 1120, charged_usd: null },
      line: 'Cost: about $1,120.00 expected (RunComfy reports the charge once the job is done).',
    });
    expect(cost({})).toEqual({ field: undefined, line: undefined });
  });

  it('saved files and remote outputs become resource links; a failed save is said, with the URL still given', () => {
    const saved = jobView(facts({ status: 'completed', phase: 'completed', output: { video: VIDEO }, files: [FILE] }));
    expect(saved.structured.files).toEqual([FILE]);
    expect(saved.text).toContain('Saved to: /videos/abc.mp4');
    expect(saved.links).toEqual([
      expect.objectContaining({ type: 'resource_link', uri: 'file:///videos/abc.mp4', name: 'abc.mp4', mimeType: 'video/mp4' }),
      expect.objectContaining({ type: 'resource_link', uri: VIDEO, mimeType: 'video/mp4' }),
    ]);
    const unsaved = jobView(facts({ status: 'completed', phase: 'completed', output: { video: VIDEO }, files: [], downloadError: 'HTTP 503.' }));
    expect(unsaved.structured.files).toBeUndefined();
    expect(unsaved.structured.download_error).toBe('HTTP 503.');
    expect(unsaved.text).toContain('Not saved locally: HTTP 503. The URL above still works; get_result tries the download again.');
  });

  it('completed without an output yet: says so and points to get_result', () => {
    const { structured, text } = jobView(facts({ status: 'completed', phase: 'completed' }));
    expect(text).toContain('Job abc is completed after 30 s, but no output URL is known yet.');
    expect(structured.next_step).toBe('Call get_result with {"request_id":"abc"} to fetch the outputs.');
  });

  it("a failed job carries RunComfy's reason, or the state it reported", () => {
    const reason = jobView(facts({ status: 'failed', phase: 'failed', upstreamError: { message: 'Content policy violation' } }));
    expect(reason.structured.error).toBe('Content policy violation');
    expect(reason.text).toContain('Job abc failed after 30 s (state "failed"): Content policy violation');
    expect(reason.structured.next_step).toMatch(/^Fix what the error says/);
    expect(jobView(facts({ status: 'timed_out', phase: 'failed' })).structured.error).toBe('RunComfy reported the state "timed_out".');
  });

  it('a cancelled job is done, and nothing more will happen', () => {
    const { structured, text } = jobView(facts({ status: 'cancelled', phase: 'cancelled', endedAt: at(2), now: at(22) }));
    expect(structured).toMatchObject({ done: true, elapsed_s: 2 });
    expect(text).toContain('Job abc is cancelled.');
    expect(structured.next_step).toMatch(/^Nothing more will happen/);
  });
});

describe('summarize', () => {
  it('a finished job: its state, age, file, video and charge', () => {
    const j = job('abc', [
      { t: 'submitted', at: T0, input: input(), estimate_usd: 0.56 },
      { t: 'state', at: at(5), status: 'in_progress' },
      { t: 'state', at: at(40), status: 'completed' },
      { t: 'output', at: at(41), output: { video: VIDEO } },
      { t: 'file', at: at(42), file: FILE },
      { t: 'cost', at: at(42), charged_usd: 0.5 },
    ]);
    expect(summarize(j, at(90.6))).toEqual({
      request_id: 'abc',
      prompt: 'a red door opens',
      status: 'completed',
      done: true,
      // An event written before kinds were recorded is of the seed model: a video.
      kind: 'video',
      duration: 5,
      submitted_at: new Date(T0).toISOString(),
      age_s: 91,
      checked_at: new Date(at(40)).toISOString(),
      file: '/videos/abc.mp4',
      video_url: VIDEO,
      cost_usd: 0.5,
    });
  });

  it('a job with no state seen yet is "submitted" and costs its estimate; one cancelled in the queue costs nothing', () => {
    const fresh = job('abc', [{ t: 'submitted', at: T0, input: input(), estimate_usd: 0.56 }]);
    expect(summarize(fresh, T0)).toMatchObject({ status: 'submitted', done: false, age_s: 0, cost_usd: 0.56 });
    expect(summarize(fresh, T0).checked_at).toBeUndefined();
    const cancelled = job('abc', [
      { t: 'submitted', at: T0, input: input(), estimate_usd: 0.56 },
      { t: 'state', at: at(1), status: 'cancelled' },
    ]);
    expect(summarize(cancelled, at(5))).toMatchObject({ status: 'cancelled', done: true, cost_usd: 0 });
  });

  it('a submission with an unknown outcome is not done, and says to check the dashboard', () => {
    const lost = job('unknown-1', [{ t: 'submit_unknown', at: T0, input: input(), error: 'no answer', estimate_usd: 0.56 }]);
    expect(summarize(lost, at(10))).toMatchObject({ request_id: 'unknown-1', status: 'outcome_unknown', done: false, outcome_unknown: true });
  });

  it('a long prompt is cut to 80 characters; a clock behind the submission gives age 0', () => {
    const long = job('abc', [{ t: 'submitted', at: T0, input: input('x'.repeat(200)) }]);
    const s = summarize(long, at(-3));
    expect(s.prompt).toBe(`${'x'.repeat(79)}…`);
    expect(s.age_s).toBe(0);
    expect(s.cost_usd).toBeUndefined();
  });

  it('a storyboard shot names its board and place', () => {
    const shot = job('abc', [{ t: 'submitted', at: T0, input: input(), board: { id: 'sb-1', shot: 2 } }]);
    expect(summarize(shot, T0)).toMatchObject({ storyboard_id: 'sb-1', shot: 2 });
  });
});
