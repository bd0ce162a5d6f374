/**
 * Assets: what this server makes to build films with, a keyframe (kf-…, an
 * image job) or a soundtrack (st-…, a music job), each one job of the ledger
 * whose recorded input carries the asset's id and key (records.ts). Here: what
 * an id means once made, and which job holds a key (same inputs, made once).
 */
import { randomBytes } from 'node:crypto';
import { KlingError } from '../errors.js';
import { jobPhase, type AssetRecords, type JobRecord, type PendingSubmission, type SavedFile } from '../ledger/records.js';
import type { LedgerStore } from '../ledger/store.js';
import { outputUrls } from '../models/output.js';
import { writerAlive } from '../util/process-instance.js';

export type AssetKind = 'keyframe' | 'soundtrack';
const PREFIX: Record<AssetKind, string> = { keyframe: 'kf', soundtrack: 'st' };
const WORD: Record<AssetKind, string> = { keyframe: 'keyframe', soundtrack: 'soundtrack' };
const TOOL: Record<AssetKind, string> = { keyframe: 'generate_keyframes', soundtrack: 'generate_soundtrack' };

/** A soundtrack's id, as generate_soundtrack answers it. */
export const SOUNDTRACK_ID = /^st-[0-9a-f]{12}$/;

/** A new asset id: kf-… or st-… and 12 hex digits. */
export function newAssetId(kind: AssetKind): string {
  return `${PREFIX[kind]}-${randomBytes(6).toString('hex')}`;
}

/** Whether a job (or a submission in flight) still stands for its asset: not failed, not cancelled. */
function live(job: JobRecord): boolean {
  const phase = jobPhase(job);
  return phase !== 'failed' && phase !== 'cancelled';
}

/** The asset already made (or being made) for a key: its newest live job, else a submission in flight; undefined: none. */
export function heldBy(found: AssetRecords, key: string): JobRecord | PendingSubmission | undefined {
  const jobs = found.jobs.filter((j) => j.input?.asset?.key === key && live(j));
  return jobs.at(-1) ?? found.pending.find((p) => p.input.asset?.key === key);
}

/**
 * What an item another submission holds says: in flight while the process submitting it lives; once that process is
 * gone before RunComfy answered, nobody can tell whether the request was sent (and paid for), so it says so, and how
 * to make it again (`again`), which may pay twice.
 */
export function inFlight(pending: PendingSubmission | undefined, again: string): { status: string; error?: string } {
  if (!pending || writerAlive(pending)) return { status: 'being submitted by another call' };
  return {
    status: 'outcome_unknown',
    error:
      'The server process that was submitting it stopped before RunComfy answered, so whether it was sent (and paid for) is unknown: ' +
      `look for it among your RunComfy requests. ${again} makes it again, and may pay for it twice.`,
  };
}

/** A finished asset: its job, its saved file and RunComfy's URL of it. */
export interface MadeAsset {
  job: JobRecord;
  file: SavedFile;
  url?: string;
}

/** The finished asset of an id, or `asset_not_found` saying why it cannot be used (unknown, failed, not finished). */
export async function madeAsset(ledger: Pick<LedgerStore, 'assets'>, kind: AssetKind, id: string, label: string): Promise<MadeAsset> {
  const found = await ledger.assets({ ids: [id] });
  const job = found.jobs.find((j) => j.input?.asset?.id === id);
  const tool = TOOL[kind];
  if (!job) {
    const pending = found.pending.find((p) => p.input.asset?.id === id);
    const held = pending && inFlight(pending, `${tool} with \`new: true\``);
    const why = held ? ` yet. ${held.error ?? 'It is still being submitted: call again in a moment.'}` : `. Make one with ${tool}.`;
    throw new KlingError('asset_not_found', `${label}: no ${WORD[kind]} ${id} is recorded in this server's ledger${why} Nothing was submitted.`);
  }
  const phase = jobPhase(job);
  if (phase === 'failed' || phase === 'cancelled' || phase === 'outcome_unknown') {
    throw new KlingError(
      'asset_not_found',
      `${label}: ${WORD[kind]} ${id} belongs to job ${job.request_id}, which ${phase === 'outcome_unknown' ? 'got no answer when submitted' : phase}; make it again with ${tool}. Nothing was submitted.`,
    );
  }
  const file = job.files.find((f) => f.path);
  if (phase !== 'completed' || !file) {
    throw new KlingError(
      'asset_not_found',
      `${label}: ${WORD[kind]} ${id} (job ${job.request_id}) is not finished yet (${job.status ?? 'submitted'}); call ${tool} again with the same request to wait for it. Nothing was submitted.`,
    );
  }
  return { job, file, url: outputUrls(job.output).find((u) => u.kind !== 'video')?.url };
}
