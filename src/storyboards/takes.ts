/**
 * A board's takes: every job it ever submitted, numbered per board. Numbers
 * are recorded with each submission (allocated in the transaction that claims it, so
 * two processes never hand out the same one); jobs of ledgers older than
 * revisions have none and are numbered first, in submission order. Pure.
 */
import type { BoardRef, JobInput, JobRecord, PendingSubmission } from '../ledger/records.js';
import { DEFAULT_MODEL } from '../models/registry.js';

export interface Take {
  take: number;
  job: JobRecord;
}

/** A render slot: shot `shot` of cut `cut`. Jobs submitted for a slot are its takes, newest current. */
export interface Slot {
  cut: number;
  shot: number;
}

export const slotOf = (ref: BoardRef): Slot => ({ cut: ref.cut ?? 1, shot: ref.shot });
export const sameSlot = (a: Slot, b: Slot) => a.cut === b.cut && a.shot === b.shot;

/** Every job of a board as a take, oldest first. */
export function boardTakes(jobs: readonly JobRecord[]): Take[] {
  const bySubmission = [...jobs].sort((a, b) => (a.submitted_at ?? 0) - (b.submitted_at ?? 0) || a.request_id.localeCompare(b.request_id));
  const legacy = bySubmission.filter((j) => j.board?.take === undefined);
  return [
    ...legacy.map((job, i) => ({ take: i + 1, job })),
    ...bySubmission.filter((j) => j.board?.take !== undefined).map((job) => ({ take: job.board!.take!, job })),
  ].sort((a, b) => a.take - b.take);
}

/** The number the next submission of this board takes: past every job and every submission in flight. */
export function nextTake(jobs: readonly JobRecord[], pending: readonly PendingSubmission[]): number {
  const numbers = [...boardTakes(jobs).map((t) => t.take), ...pending.map((p) => p.board?.take ?? 0)];
  return Math.max(0, ...numbers) + 1;
}

/** The engine a recorded shot or take was made on (RunComfy id): the seed where none is recorded, as before there were engines. */
export const engineIdOf = (input: JobInput): string => (typeof input.model === 'string' ? input.model : DEFAULT_MODEL.id);

/** Whether a recorded shot or take has sound of its own. */
export const soundOf = (input: JobInput): boolean => input.sound === true;

/**
 * What makes two renders the same: prompt, duration, the frames' content
 * (sha256 of the bytes checked), engine and sound, so a moved file or a
 * re-hosted image still matches. A frame recorded without its digest (an old ledger) counts by reference.
 */
export function fingerprint(input: JobInput): string {
  const frame = (f: 'start_image_url' | 'end_image_url') => input.image_sha256?.[f] ?? `ref:${String(input[f])}`;
  return JSON.stringify([input.prompt, input.duration, frame('start_image_url'), frame('end_image_url'), engineIdOf(input), soundOf(input)]);
}
