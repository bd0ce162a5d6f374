/**
 * Checking a board's shots before anything is paid for: each shot's engine
 * (its own, else the board's) and whether it can make the shot, each engine as
 * RunComfy serves it today (jobs/live-schemas.ts), and each distinct frame
 * once against the rules of the engines it is sent to: all or nothing, within
 * the call's time (dozens of slow image hosts must not hold the call past the
 * client's timeout).
 */
import { KlingError } from '../errors.js';
import { throwRefusals, type LiveModel } from '../jobs/live-schemas.js';
import type { RecordedInput } from '../ledger/records.js';
import { hasSound, type Clip, type ClipFrame } from '../models/clip.js';
import type { AnyModel, ImageSpec, ModelInputBase } from '../models/model.js';
import { DEFAULT_MODEL } from '../models/registry.js';
import { engineClips, type EngineClip } from '../preflight/engine.js';
import { checkFrames, type CheckedFrame } from '../preflight/frames.js';
import { timeoutOn } from '../util/clock.js';
import { continuityWarnings } from './continuity.js';
import type { BoardCall, BoardsDeps } from './deps.js';

/** A shot as the board tools take it: a clip that ends on a frame, on its engine and with its sound (else the board's). */
export interface ShotInput extends Clip {
  end_image_url: string;
  model?: string;
}

/** What a shot that names no engine or sound takes: the board's. */
export interface ShotDefaults {
  model?: string;
  sound?: boolean;
}

/** Time kept back from the call's budget for answering once checking or submitting stops. */
export const SUBMIT_MARGIN_MS = 5_000;

/** A frame ready to send: what to submit and record, the digest of its bytes, and its size when its bytes were read in this call. */
export type ReadyFrame = Pick<CheckedFrame, 'send' | 'record' | 'sha256'> & { report?: CheckedFrame['report'] };

export interface CheckedShot {
  engine: AnyModel;
  /** The engine's input, its frames as sent (local ones inline). */
  send: ModelInputBase;
  /** The shot in the board's words, as the ledger keeps it. */
  record: RecordedInput;
  start: ReadyFrame;
  end: ReadyFrame;
}
export type CheckedShots = Map<number, CheckedShot>;

export const FRAME_FIELDS = ['start_image_url', 'end_image_url'] as const satisfies readonly ClipFrame[];

/** What checking shots needs: where frames come from, each engine's live schema, the clock the call's time runs on, the least time a call may take. */
export type FrameDeps = Pick<BoardsDeps, 'sources' | 'live' | 'clock' | 'settings'>;

/** A frame to check: how messages name it, its reference, and the rules of the engine field it goes to. */
export interface FrameRef {
  label: string;
  ref: string;
  spec: ImageSpec;
}

/** Checks the given refs (each once per rule set) within what is left of the call's time. */
export async function checkRefs(
  deps: FrameDeps,
  call: Pick<BoardCall, 'signal' | 'deadline'>,
  frames: FrameRef[],
  what: string,
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<Map<string, CheckedFrame>> {
  const limitMs = Math.max(call.deadline.budgetMs, deps.settings.maxWaitS * 1000) - SUBMIT_MARGIN_MS - call.deadline.elapsedMs();
  // On the call's clock, like the call's other waits.
  const overTime = timeoutOn(deps.clock, Math.max(1, limitMs));
  try {
    return await checkFrames(frames, await deps.sources(), AbortSignal.any([call.signal, overTime.signal]), onImage);
  } catch (err) {
    if (!overTime.signal.aborted || call.signal.aborted) throw err;
    throw new KlingError(
      'image_unreachable',
      `Checking the frames of ${what} took longer than this call may run (${Math.round(limitMs / 1000)} s), so nothing was submitted. ` +
        'Use faster image hosts (or local files), fewer distinct frames per board, or a longer KLING_MCP_MAX_WAIT_S.',
    );
  } finally {
    overTime.stop();
  }
}

/** A shot of the board, its engine and input: the shot's own engine and sound, else the board's. */
export interface ShotEngine extends EngineClip {
  shot: ShotInput;
}

/** Each given shot's engine and input, or invalid_input naming every shot that cannot be made (an unknown engine, one without end frames, …). */
export function shotEngines(shots: readonly ShotInput[], indexes: readonly number[], defaults: ShotDefaults): Map<number, ShotEngine> {
  const given = indexes.map((i) => {
    const s = shots[i - 1]!;
    return { ...s, model: s.model ?? defaults.model, sound: s.sound ?? defaults.sound, label: `shot ${i}` };
  });
  const clips = engineClips(given, true);
  return new Map(indexes.map((i, k) => [i, { ...clips[k]!, shot: given[k]! }]));
}

/** Each engine of these shots as RunComfy serves it today, read once each and at once, by id. */
export async function liveEngines(deps: Pick<FrameDeps, 'live'>, signal: AbortSignal, engines: Iterable<ShotEngine>): Promise<Map<string, LiveModel>> {
  const distinct = [...new Map([...engines].map((e) => [e.engine.id, e.engine])).values()];
  return new Map(await Promise.all(distinct.map(async (m) => [m.id, await deps.live.adopt(m, signal)] as const)));
}

/** What the live schemas refuse of these shots' requests, by shot (they are all about to be sent). */
export function refuseDrift(live: Map<string, LiveModel>, shots: Map<number, ShotEngine>): void {
  throwRefusals([...shots].flatMap(([i, s]) => live.get(s.engine.id)!.refusals([{ label: `shot ${i}`, body: s.input }])));
}

/** The shot's two frames, each with the rules of the live engine's field it goes to. */
export function frameRefs(index: number, s: ShotEngine, live: Map<string, LiveModel>): (FrameRef & { field: ClipFrame })[] {
  const { model, clip } = { model: live.get(s.engine.id)!.model, clip: s.engine.clip! };
  return FRAME_FIELDS.map((field) => ({
    label: `shot ${index} ${field}`,
    ref: s.shot[field],
    field,
    spec: model.images[field === 'start_image_url' ? clip.start : clip.end!]!,
  }));
}

/** A shot as sent (the engine's input, its frames as checked) and as recorded (the board's words, the engine and sound), from its frames. */
export function readyShot(s: ShotEngine, start: ReadyFrame, end: ReadyFrame): CheckedShot {
  const { engine, input } = s;
  const clip = engine.clip!;
  const send = { ...input, [clip.start]: start.send, [clip.end!]: end.send };
  const record: RecordedInput = {
    prompt: s.shot.prompt,
    duration: Number(input.duration),
    start_image_url: start.record,
    end_image_url: end.record,
    // The seed and silence are what a shot without them means, as in ledgers older than engines.
    ...(engine !== DEFAULT_MODEL && { model: engine.id }),
    ...(hasSound(engine, input) && { sound: true }),
    image_sha256: { start_image_url: start.sha256, end_image_url: end.sha256 },
  };
  return { engine, send, record, start, end };
}

/**
 * Checks the given shots before any is sent: their engines, each engine's live schema, and their frames (each
 * distinct frame once); returns what to send and what to record per shot.
 */
export async function checkShots(
  deps: FrameDeps,
  call: Pick<BoardCall, 'signal' | 'deadline'>,
  shots: readonly ShotInput[],
  indexes: number[],
  defaults: ShotDefaults,
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<CheckedShots> {
  const engines = shotEngines(shots, indexes, defaults);
  const live = await liveEngines(deps, call.signal, engines.values());
  refuseDrift(live, engines);
  const refs = [...engines].flatMap(([i, s]) => frameRefs(i, s, live));
  const checked = await checkRefs(deps, call, refs, `${indexes.length} shot(s)`, onImage);
  const frame = (r: (typeof refs)[number]) => checked.get(r.ref)!;
  return new Map(
    [...engines].map(([i, s]) => {
      const [start, end] = frameRefs(i, s, live).map(frame) as [CheckedFrame, CheckedFrame];
      return [i, readyShot(s, start, end)];
    }),
  );
}

/** A recorded shot as input again (its engine and sound as recorded, so the board's defaults never change it). */
export function asShotInput(s: RecordedInput): ShotInput {
  return {
    prompt: s.prompt,
    start_image_url: s.start_image_url,
    end_image_url: s.end_image_url,
    duration: s.duration,
    model: s.model ?? DEFAULT_MODEL.id,
    sound: s.sound ?? false,
  };
}

/** A planned shot as its engine's input, its frames as recorded (and by digest): what the approval prices and a quote holds for. */
export function plannedWork(record: RecordedInput): { model: AnyModel; input: ModelInputBase } {
  const { engine, input } = engineClips([asShotInput(record)], true)[0]!;
  return { model: engine, input: { ...input, image_sha256: record.image_sha256 } };
}

/** Shots with sound of their own under a soundtrack: the film carries the soundtrack, so their sound is paid for and not heard in it. */
export function soundtrackWarnings(records: readonly RecordedInput[], soundtrack: boolean): string[] {
  const loud = records.flatMap((r, i) => (r.sound ? [i + 1] : []));
  if (!soundtrack || loud.length === 0) return [];
  return [
    `Shot${loud.length > 1 ? 's' : ''} ${loud.join(', ')} ask${loud.length > 1 ? '' : 's'} for sound, but the soundtrack wins: the film carries the soundtrack, not the clips' sound (each clip keeps its own, and it is paid for).`,
  ];
}

/** What continuity warnings read of a frame; a size not read in this call is unknown (NaN), and gives no shape warning. */
const frameFacts = (f: ReadyFrame) => ({ sha256: f.sha256, width: f.report?.width ?? NaN, height: f.report?.height ?? NaN });

/** The cuts and shape differences of a shot list, in film order, and what mixing engines does to the film. */
export function shotWarnings(checked: CheckedShots): string[] {
  return [
    ...continuityWarnings([...checked.values()].map((s) => ({ start: frameFacts(s.start), end: frameFacts(s.end) }))),
    ...engineWarnings([...checked.values()].map((s) => s.engine)),
  ];
}

/**
 * Shots on different engines: their clips are often of different sizes or H.264 settings, which cannot be joined
 * without re-encoding; said before anything is spent (the quote carries it), and the film says which shots differ.
 */
function engineWarnings(engines: readonly AnyModel[]): string[] {
  const byEngine = new Map<AnyModel, number[]>();
  engines.forEach((e, i) => byEngine.set(e, [...(byEngine.get(e) ?? []), i + 1]));
  if (byEngine.size < 2) return [];
  const parts = [...byEngine].map(([e, shots]) => `${e.name} (shot${shots.length > 1 ? 's' : ''} ${shots.join(', ')})`);
  return [
    `This board mixes engines: ${parts.join(', ')}. Clips of different engines are often of different sizes or H.264 settings and cannot be joined without re-encoding; if so, the film is not made, the answer names the shots that differ, and every clip is kept.`,
  ];
}

/** Each shot's start and end frame digests, in film order, for the contact sheet. */
export function sheetFrames(checked: CheckedShots): { start: string; end: string }[] {
  return [...checked.values()].map((s) => ({ start: s.start.sha256, end: s.end.sha256 }));
}
