/**
 * Planning a new board, everything before money is spent and all or nothing:
 * check every frame (and the soundtrack) once, have the whole board approved
 * (costs/approval.ts), reserve and record the plan (cut 1); then its shots are
 * submitted (boards.ts).
 */
import { randomBytes } from 'node:crypto';
import type { BoardRecord, SoundtrackFile } from '../ledger/records.js';
import { engineOf } from '../preflight/engine.js';
import { checkShots, plannedWork, sheetFrames, shotWarnings, soundtrackWarnings, type CheckedShots, type ShotDefaults, type ShotInput } from './check.js';
import type { BoardCall, BoardsDeps } from './deps.js';
import type { BoardProgress } from './progress.js';
import { keepThumbnail, sheetOrWarn } from './sheet.js';
import { checkSoundtrack, keepSoundtrack } from './soundtrack.js';

function newStoryboardId(now: number): string {
  // Whole milliseconds: a clock may give fractions, and a '.' would make an id its own pattern refuses.
  return `sb-${Math.floor(now).toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface Planned {
  board: BoardRecord;
  checked: CheckedShots;
}

export interface BoardArgs extends ShotDefaults {
  shots: ShotInput[];
  title?: string;
  soundtrack?: string;
}

/** Everything before money is spent: all or nothing. */
export async function planBoard(deps: BoardsDeps, call: BoardCall, args: BoardArgs, progress: BoardProgress): Promise<Planned> {
  const { outputDir } = deps.settings;
  const track = args.soundtrack === undefined ? undefined : await checkSoundtrack(deps, call.signal, args.soundtrack);
  const indexes = args.shots.map((_, i) => i + 1);
  const defaults = { model: args.model, sound: args.sound };
  const checked = await checkShots(deps, call, args.shots, indexes, defaults, (image, sha256) => keepThumbnail(outputDir, image, sha256));
  progress.framesChecked();
  const records = [...checked.values()].map((c) => c.record);
  const warnings = [...shotWarnings(checked), ...soundtrackWarnings(records, track !== undefined)];

  const seconds = records.reduce((sum, s) => sum + s.duration, 0);
  const what = `a ${args.shots.length}-shot storyboard${args.title ? ` "${args.title}"` : ''} (${seconds} s of video)`;
  const work = records.map((record) => ({ ...plannedWork(record), record }));
  // The warnings are said before anything is spent: a board whose clips may not join is still asked about as one.
  const approved = await deps.approval.approve(what, work, call.consent, { notes: warnings });
  const shots = approved.items.map((w) => ({ ...w.record, estimate_usd: w.estimateUsd }));

  const id = newStoryboardId(deps.clock.now());
  const soundtrack: SoundtrackFile | undefined = track && (await keepSoundtrack(outputDir, track, id));
  // The board's own engine and sound, by RunComfy id: what its shots, now and in revisions, take unless they say otherwise.
  const engine = args.model === undefined ? {} : { model: engineOf(args.model).id };
  await deps.jobs.planBoard(
    {
      id,
      title: args.title,
      ...engine,
      ...(args.sound && { sound: true }),
      shots,
      estimate_usd: approved.totalUsd,
      warnings,
      ...(soundtrack && { soundtrack }),
    },
    what,
  );
  const board = (await deps.ledger.board(id))!;
  await sheetOrWarn(deps, board, sheetFrames(checked));
  return { board, checked };
}
