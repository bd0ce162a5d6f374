/**
 * A soundtrack made on RunComfy's music model: as long as asked, or as the
 * board's current film (the sum of its current cut's shots), in MP3 so a film
 * takes it without re-encoding; made as a batch of one (batch.ts: approved,
 * submitted once per inputs across processes, waited for, saved).
 */
import { createHash } from 'node:crypto';
import { KlingError } from '../errors.js';
import { inFlight, newAssetId } from '../jobs/assets.js';
import { jobCostUsd, jobPhase } from '../ledger/records.js';
import { MUSIC_MODEL } from '../models/registry.js';
import { formatUsd, roundUsd } from '../util/format.js';
import { batchProgress, makeAssets } from './batch.js';
import type { StudioCall, StudioDeps } from './deps.js';
import { SOUNDTRACK_SECONDS, type SoundtrackView } from './soundtrack-shapes.js';

export interface SoundtrackArgs {
  prompt: string;
  seconds?: number;
  for_storyboard?: string;
  instrumental?: boolean;
  /** Make another even if these arguments made one before (a re-roll). */
  new?: boolean;
}

export async function makeSoundtrack(deps: StudioDeps, call: StudioCall, args: SoundtrackArgs): Promise<SoundtrackView> {
  if ((args.seconds === undefined) === (args.for_storyboard === undefined)) {
    throw new KlingError(
      'invalid_input',
      'Give either seconds (the length of the track) or for_storyboard (a board id: the length of its film). Nothing was submitted.',
    );
  }
  const seconds = args.seconds ?? (await filmSeconds(deps, args.for_storyboard!));
  if (seconds < SOUNDTRACK_SECONDS.min || seconds > SOUNDTRACK_SECONDS.max) {
    throw new KlingError(
      'invalid_input',
      `seconds: ${seconds} s is outside what ${MUSIC_MODEL.title} makes (${SOUNDTRACK_SECONDS.min}–${SOUNDTRACK_SECONDS.max} s). Nothing was submitted.`,
    );
  }
  const instrumental = args.instrumental ?? true;
  // MP3: the film muxes it without re-encoding.
  const body = { prompt: args.prompt, music_length_ms: Math.round(seconds * 1000), force_instrumental: instrumental, output_format: 'mp3_standard' };
  const model = await deps.live.check(MUSIC_MODEL, [{ body }], call.signal);
  const send = model.input.parse(body);
  const key = createHash('sha256')
    .update(JSON.stringify([model.id, args.prompt, body.music_length_ms, instrumental]))
    .digest('hex');
  const [made] = await makeAssets(deps, call, {
    kind: 'soundtrack',
    what: `a ${seconds} s soundtrack`,
    work: [{ model, send, record: { ...send, asset: { id: newAssetId('soundtrack'), key } }, fresh: args.new === true }],
    onProgress: batchProgress(call.progress, 'soundtrack'),
  });
  const job = made!.job;
  const cost = made!.reused ? 0 : job && jobCostUsd(job);
  const base = { soundtrack_id: made!.id, seconds, cost_usd: cost === undefined ? null : roundUsd(cost) };
  if (!job) return { ...base, ...inFlight(made!.pending, 'The same call with `new: true`') };
  const phase = jobPhase(job);
  const file = job.files[0];
  const error = job.errors.at(-1)?.message;
  if (phase === 'completed' && file) return { ...base, request_id: job.request_id, status: made!.reused ? 'reused' : 'made', file };
  return { ...base, request_id: job.request_id, status: phase, ...(error && { error }) };
}

/** The length of a board's current film: the sum of its current cut's shots. */
async function filmSeconds(deps: StudioDeps, boardId: string): Promise<number> {
  const board = await deps.ledger.board(boardId);
  if (!board)
    throw new KlingError('storyboard_not_found', `for_storyboard: no storyboard ${boardId} is recorded in this server's ledger. Nothing was submitted.`);
  return board.shots.reduce((sum, s) => sum + s.duration, 0);
}

export function soundtrackText(v: SoundtrackView, waitS: number): string {
  const where = v.file ? ` · ${v.file.path}` : '';
  const cost = v.cost_usd === null ? 'price unknown until RunComfy charges' : formatUsd(v.cost_usd);
  const next = v.file
    ? `Give "${v.soundtrack_id}" as soundtrack to generate_storyboard or revise_storyboard.`
    : v.status === 'outcome_unknown'
      ? 'The same arguments answer the same again (see above).'
      : `Not done yet: call generate_soundtrack again with the same arguments (nothing is paid twice; wait_seconds up to ${waitS}).`;
  return `Soundtrack ${v.soundtrack_id} (${v.seconds} s) · ${v.status}${where}${v.error ? ` · ${v.error}` : ''} · cost ${cost}\n${next}`;
}
