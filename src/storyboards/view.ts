/**
 * How a storyboard is shown to the agent: one structured view (its shape in
 * view-shape.ts) shared by the storyboard tools and its resource, and a text
 * that says where each shot stands, where the film is, what it cost and what
 * to call next.
 */
import type { ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { jobCostUsd } from '../ledger/records.js';
import type { BoardRecord, FilmFile, JobRecord } from '../ledger/records.js';
import { DEFAULT_MAX_WAIT_S } from '../config.js';
import { DEFAULT_MODEL, modelById } from '../models/registry.js';
import { KEYFRAME_ID } from '../preflight/image-source.js';
import { errorText } from '../runcomfy/error-text.js';
import { RUNCOMFY_STATE } from '../jobs/phase.js';
import { fileLink } from '../calls/reply-shapes.js';
import type { ToolReply } from '../calls/respond.js';
import { formatBytes, formatUsd, roundUsd } from '../util/format.js';
import { boardStatus, type BoardStatus, type ShotState } from './shots.js';
import { engineIdOf, soundOf, type Take } from './takes.js';
import type { BoardView, ShotView, TakeView } from './view-shape.js';

/** What the costs of a board answer are counted from: every job of the board, and the ones this call submitted (a tool's answer). */
export interface BoardSpend {
  jobs: readonly JobRecord[];
  sent?: readonly string[];
}

/** `waitS`: the wait to advise in next steps, the server's KLING_MCP_MAX_WAIT_S. */
export function boardView(board: BoardRecord, shots: ShotState[], spend: BoardSpend, waitS = DEFAULT_MAX_WAIT_S): ToolReply<BoardView> {
  const status = boardStatus(board, shots);
  const shotViews = shots.map((s) => shotView(board, s));
  const estimate = sum(shots.map((s) => expectedCost(board, s)));
  const charged = sum(shots.flatMap((s) => [s.job, ...s.earlier]).map((j) => j?.charged_usd));
  const cut = { estimate_usd: estimate ?? null, charged_usd: charged ?? null };
  const sent = spend.sent && spend.jobs.filter((j) => spend.sent!.includes(j.request_id));
  const thisCall = sent && {
    estimate_usd: sent.length === 0 ? 0 : sent.every((j) => j.estimate_usd !== undefined) ? sum(sent.map((j) => j.estimate_usd))! : null,
    renders: sent.length,
  };
  const structured: BoardView = {
    storyboard_id: board.storyboard_id,
    ...(board.title && { title: board.title }),
    status,
    shots: shotViews,
    cut: board.cut,
    cuts: board.cuts.length,
    film: board.film ?? null,
    ...(board.film_error && !board.film && { film_error: board.film_error }),
    ...(board.sheet && { sheet: board.sheet }),
    cost: cut,
    costs: {
      ...(thisCall && { this_call: thisCall }),
      cut,
      board: { charged_usd: sum(spend.jobs.map((j) => j.charged_usd)) ?? 0, takes: spend.jobs.length, cuts: board.cuts.length },
    },
    warnings: board.warnings ?? [],
    next_step: nextStep(board, status, shots, waitS),
  };
  return { structured, text: summary(structured), links: links(structured) };
}

/**
 * What a shot is expected to cost: nothing once cancelled, or never to be submitted (its board is closed); else its
 * take's estimate (a reused take keeps the one it was submitted with), or the plan's before it has a take.
 */
function expectedCost(board: BoardRecord, s: ShotState): number | undefined {
  if (s.phase === 'cancelled' || (board.closed && s.phase === 'not_submitted')) return 0;
  return s.job?.estimate_usd ?? board.shots[s.index - 1]!.estimate_usd;
}

function shotView(board: BoardRecord, s: ShotState): ShotView {
  const plan = board.shots[s.index - 1]!;
  const job = s.job;
  // A job not checked since its submission is "submitted", never a RunComfy state it may have left long ago.
  const status =
    s.phase === 'not_submitted' || s.phase === 'submitting' || s.phase === 'outcome_unknown'
      ? s.phase
      : job
        ? (job.status ?? 'submitted')
        : RUNCOMFY_STATE[s.phase];
  const cost = job ? jobCostUsd(job) : undefined;
  const kf = (ref: unknown) => (typeof ref === 'string' && KEYFRAME_ID.test(ref) ? ref : undefined);
  const [start, end] = [kf(plan.start_image_url), kf(plan.end_image_url)];
  const keyframeIds = start || end ? { ...(start && { start }), ...(end && { end }) } : undefined;
  const failure = s.phase === 'failed' ? (job?.errors.at(-1)?.message ?? `RunComfy reported the state "${job?.status}".`) : undefined;
  return {
    index: s.index,
    ...(job && !job.outcome_unknown && { request_id: job.request_id }),
    status,
    done: s.phase === 'completed' || s.phase === 'failed' || s.phase === 'cancelled',
    prompt: plan.prompt,
    duration: plan.duration,
    model: engineIdOf(plan),
    sound: soundOf(plan),
    ...(job?.output && { output: job.output }),
    ...(job?.files.length && { files: job.files }),
    ...(failure && { error: errorText(failure) ?? failure }),
    ...(job &&
      (job.estimate_usd !== undefined || cost !== undefined) && { cost: { estimate_usd: job.estimate_usd ?? null, charged_usd: job.charged_usd ?? null } }),
    ...(s.earlier.length > 0 && { earlier_request_ids: s.earlier.map((j) => j.request_id) }),
    ...(s.take !== undefined && { take: s.take }),
    source: s.reused ? 'reused' : 'rendered',
    ...(plan.reason && { reason: plan.reason }),
    ...(keyframeIds && { keyframe_ids: keyframeIds }),
    takes: s.takes.map(takeView),
  };
}

/** One take with the inputs it was made from (frames by reference and digest), as the storyboard resource lists every take. */
export function takeWithInputs(t: Take) {
  const input = t.job.input;
  return {
    ...takeView(t),
    ...(t.job.board && { made_for: { cut: t.job.board.cut ?? 1, shot: t.job.board.shot } }),
    ...(input && {
      prompt: input.prompt,
      duration: input.duration,
      model: t.job.model,
      sound: soundOf(input),
      start_image_url: input.start_image_url,
      end_image_url: input.end_image_url,
      ...(input.image_sha256 && { image_sha256: input.image_sha256 }),
    }),
  };
}

function takeView({ take, job }: Take): TakeView {
  const file = job.files.find((f) => f.mime.startsWith('video/'));
  return {
    take,
    ...(!job.outcome_unknown && { request_id: job.request_id }),
    status: job.outcome_unknown ? 'outcome_unknown' : (job.status ?? 'submitted'),
    ...((job.estimate_usd !== undefined || job.charged_usd !== undefined) && {
      cost: { estimate_usd: job.estimate_usd ?? null, charged_usd: job.charged_usd ?? null },
    }),
    ...(file && { file }),
  };
}

function sum(xs: (number | undefined)[]): number | undefined {
  const known = xs.filter((x): x is number => x !== undefined);
  return known.length === 0 ? undefined : roundUsd(known.reduce((a, b) => a + b, 0));
}

function nextStep(board: BoardRecord, status: BoardStatus, shots: ShotState[], waitS: number): string {
  const id = JSON.stringify(board.storyboard_id);
  const wait = waitS > 0 ? `, "wait_seconds": ${waitS}` : '';
  switch (status) {
    case 'completed':
      return board.film
        ? 'Done: the film and every clip are saved.'
        : `Every shot is done; call get_storyboard with {"storyboard_id": ${id}} to save the clips and stitch the film.`;
    case 'running':
    case 'planned':
      return `Call get_storyboard with {"storyboard_id": ${id}${wait}} to wait for the shots (and submit any not yet submitted).`;
    case 'cancelled':
      return 'The board is cancelled: no more shots will be submitted. Shots that were already running finish and stay listed.';
    case 'needs_attention': {
      const failed = shots.filter((s) => s.phase === 'failed' || s.phase === 'cancelled').map((s) => s.index);
      const unknown = shots.filter((s) => s.phase === 'outcome_unknown').map((s) => s.index);
      const steps: string[] = [];
      if (failed.length > 0)
        steps.push(
          `Shot(s) ${failed.join(', ')} failed or were cancelled: get_storyboard with {"storyboard_id": ${id}, "resubmit_failed": true} submits only those again.`,
        );
      if (unknown.length > 0) {
        steps.push(
          `The submission of shot(s) ${unknown.join(', ')} got no answer: check your RunComfy dashboard first (RunComfy may have accepted and will bill it); ` +
            `if it is not there, get_storyboard with {"storyboard_id": ${id}, "resubmit_unknown": true} submits it again.`,
        );
      }
      return steps.join(' ');
    }
  }
}

function summary(v: BoardView): string {
  const lines = [
    `Storyboard ${v.storyboard_id}${v.title ? ` "${v.title}"` : ''}${v.cuts > 1 ? `, cut ${v.cut} of ${v.cuts}` : ''}: ${v.status.replace('_', ' ')} (${v.shots.filter((s) => s.status === 'completed').length}/${v.shots.length} shots completed).`,
  ];
  for (const s of v.shots) {
    const file = s.files?.[0] ? ` · ${s.files[0].path}` : '';
    const take = s.take !== undefined ? ` · take ${s.take}` : '';
    const why = s.reason ? ` (${s.source}: ${s.reason})` : s.source === 'reused' ? ' (reused)' : '';
    // The engine and sound where they are not the default's: a board on Kling O1 reads as it always did.
    const engine = s.model === DEFAULT_MODEL.id ? '' : `, ${modelById(s.model)?.name ?? s.model}`;
    const sound = s.sound ? ', with sound' : '';
    lines.push(
      `- shot ${s.index} (${s.duration} s${engine}${sound}): ${s.status}${s.request_id ? ` · ${s.request_id}` : ''}${file}${take}${why}${s.error ? ` · ${s.error}` : ''}`,
    );
    if (s.takes.length > 1) lines.push(`  takes: ${s.takes.map((t) => `${t.take} (${t.status})`).join(', ')}`);
  }
  if (v.film)
    lines.push(
      `Film: ${v.film.path} (${v.film.duration_s.toFixed(1)} s, ${v.film.frames} frames, ${formatBytes(v.film.bytes)}, sha256 ${v.film.sha256.slice(0, 12)}…)` +
        filmSound(v.film),
    );
  for (const note of v.film?.notes ?? []) lines.push(`Film note: ${note}`);
  if (v.film_error) lines.push(`Film not stitched: ${v.film_error}`);
  if (v.sheet) lines.push(`Contact sheet: ${v.sheet.path}`);
  for (const w of v.warnings) lines.push(`Warning: ${w}`);
  lines.push(...costLines(v.costs));
  lines.push(`Next: ${v.next_step}`);
  return lines.join('\n');
}

/** The three scopes, each named, so "expected" and "charged" are never read as the same thing. */
function costLines({ this_call: call, cut, board }: BoardView['costs']): string[] {
  const lines: string[] = [];
  if (call) {
    const renders = `${call.renders} new render${call.renders === 1 ? '' : 's'}`;
    lines.push(
      `Cost of this call: ${call.renders === 0 ? `${formatUsd(0)} (nothing rendered)` : call.estimate_usd === null ? `price unknown (${renders})` : `about ${formatUsd(call.estimate_usd)} expected (${renders})`}.`,
    );
  }
  const est = cut.estimate_usd;
  const expected = est === null ? 'price unknown' : est === 0 ? 'nothing expected: no shot will be billed' : `about ${formatUsd(est)} expected`;
  lines.push(`Cost of this cut: ${expected}${cut.charged_usd !== null ? `; ${formatUsd(cut.charged_usd)} charged so far` : ''}.`);
  const takes = `${board.takes} take${board.takes === 1 ? '' : 's'}`;
  lines.push(`Cost of the whole board: ${formatUsd(board.charged_usd)} charged so far (${takes}, ${board.cuts} cut${board.cuts === 1 ? '' : 's'}).`);
  return lines;
}

function links(v: BoardView): ResourceLink[] {
  const out: ResourceLink[] = [];
  if (v.film) out.push(fileLink(v.film, 'the stitched film'));
  if (v.sheet) out.push(fileLink(v.sheet, 'contact sheet of the keyframes'));
  for (const s of v.shots) for (const f of s.files ?? []) out.push(fileLink(f, `clip of shot ${s.index}`));
  return out;
}

/** What the film's line says of its sound. */
function filmSound(film: FilmFile): string {
  if (film.sound) return `, with sound: the ${film.sound.codec.toUpperCase()} soundtrack, ${film.sound.duration_s.toFixed(1)} s of it`;
  if (film.audio?.from === 'clips') {
    const silent = film.audio.silent_shots?.length
      ? `, silent in ${film.audio.silent_shots.length === 1 ? 'shot' : 'shots'} ${film.audio.silent_shots.join(', ')}`
      : '';
    return `, with the clips' own sound (${(film.audio.codec ?? 'audio').toUpperCase()})${silent}`;
  }
  return film.audio?.from === 'none' ? ', silent' : '';
}
