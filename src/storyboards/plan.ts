/**
 * Planning a new board, everything before money is spent and all or nothing:
 * check every frame (and the soundtrack) once, price the whole board, confirm,
 * reserve and record the plan (cut 1); then its shots are submitted.
 */
import { randomBytes } from 'node:crypto';
import type { BoardRecord, SoundtrackFile } from '../ledger/records.js';
import { DEFAULT_MODEL } from '../models/registry.js';
import type { JobCall } from '../calls/call.js';
import { boardError } from './board-errors.js';
import { checkShots, sheetFrames, shotWarnings, type CheckedShots, type ShotInput } from './check.js';
import type { BoardProgress } from './progress.js';
import { keepThumbnail, sheetOrWarn } from './sheet.js';
import { checkSoundtrack, keepSoundtrack } from './soundtrack.js';
import { submitShots } from './submit.js';

function newStoryboardId(now: number): string {
  // Whole milliseconds: a clock may give fractions, and a '.' would make an id its own pattern refuses.
  return `sb-${Math.floor(now).toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface Planned {
  board: BoardRecord;
  checked: CheckedShots;
}

export interface BoardArgs {
  shots: ShotInput[];
  title?: string;
  soundtrack?: string;
}

/** Everything before money is spent: all or nothing. */
export async function planBoard(call: JobCall, args: BoardArgs, progress: BoardProgress): Promise<Planned> {
  const track = args.soundtrack === undefined ? undefined : await checkSoundtrack(call, args.soundtrack);
  const indexes = args.shots.map((_, i) => i + 1);
  const checked = await checkShots(call, args.shots, indexes, (image, sha256) => keepThumbnail(call, image, sha256));
  progress.framesChecked();
  const warnings = shotWarnings(checked);

  const seconds = args.shots.reduce((sum, s) => sum + s.duration, 0);
  const what = `a ${args.shots.length}-shot storyboard${args.title ? ` "${args.title}"` : ''} (${seconds} s of video)`;
  const work = args.shots.map((s, i) => ({ model: DEFAULT_MODEL, input: checked.get(i + 1)!.record }));
  const approved = await call.approval.approve(what, work, call.consent);
  const shots = approved.items.map((w) => ({ ...w.input, estimate_usd: w.estimateUsd }));

  const id = newStoryboardId(call.app.clock.now());
  const soundtrack: SoundtrackFile | undefined = track && (await keepSoundtrack(call, track, id));
  await call.jobs.planBoard({ id, title: args.title, shots, estimate_usd: approved.totalUsd, warnings, ...(soundtrack && { soundtrack }) }, what);
  const board = (await call.app.ledger.board(id))!;
  await sheetOrWarn(call, board, sheetFrames(checked));
  return { board, checked };
}

/**
 * Plans a new board and submits its shots (returning the request ids sent); the checked frames (inline bytes
 * included) are let go once they are sent.
 */
export async function startBoard(call: JobCall, args: BoardArgs, progress: BoardProgress): Promise<{ board: BoardRecord; sent: string[] }> {
  const { board, checked } = await planBoard(call, args, progress);
  try {
    return { board, sent: await submitShots(call, board, { resubmit: { failed: false, unknown: false }, checked, progress }) };
  } catch (err) {
    throw await boardError(call, board.storyboard_id, err);
  }
}
