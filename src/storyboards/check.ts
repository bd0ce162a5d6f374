/**
 * Checking a board's frames before anything is paid for: each distinct frame
 * once, all or nothing, within the call's time (dozens of slow image hosts
 * must not hold the call past the client's timeout).
 */
import { KlingError } from '../errors.js';
import type { RecordedInput } from '../ledger/records.js';
import type { ModelInputOf } from '../models/model.js';
import { DEFAULT_MODEL } from '../models/registry.js';
import { checkFrames, type CheckedFrame } from '../preflight/frames.js';
import { timeoutOn } from '../util/clock.js';
import { continuityWarnings } from './continuity.js';
import type { BoardCall, BoardsDeps } from './deps.js';

/** Storyboards film with the default model: a shot is its input. */
type ModelInput = ModelInputOf<typeof DEFAULT_MODEL>;
export type ShotInput = ModelInput;

/** Time kept back from the call's budget for answering once checking or submitting stops. */
export const SUBMIT_MARGIN_MS = 5_000;

/** A frame ready to send: what to submit and record, the digest of its bytes, and its size when its bytes were read in this call. */
export type ReadyFrame = Pick<CheckedFrame, 'send' | 'record' | 'sha256'> & { report?: CheckedFrame['report'] };

export interface CheckedShot {
  send: ModelInput;
  record: RecordedInput;
  start: ReadyFrame;
  end: ReadyFrame;
}
export type CheckedShots = Map<number, CheckedShot>;

export const FRAME_FIELDS = ['start_image_url', 'end_image_url'] as const;

/** What checking frames needs: where they come from, the clock the call's time runs on, and the least time a call may take. */
export type FrameDeps = Pick<BoardsDeps, 'sources' | 'clock' | 'settings'>;

/** Checks the given refs (each once) within what is left of the call's time; `label` names each in messages. */
export async function checkRefs(
  deps: FrameDeps,
  call: Pick<BoardCall, 'signal' | 'deadline'>,
  frames: { label: string; ref: string; field: (typeof FRAME_FIELDS)[number] }[],
  what: string,
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<Map<string, CheckedFrame>> {
  const limitMs = Math.max(call.deadline.budgetMs, deps.settings.maxWaitS * 1000) - SUBMIT_MARGIN_MS - call.deadline.elapsedMs();
  // On the call's clock, like the call's other waits.
  const overTime = timeoutOn(deps.clock, Math.max(1, limitMs));
  try {
    const specs = frames.map((f) => ({ label: f.label, ref: f.ref, spec: DEFAULT_MODEL.images[f.field] }));
    return await checkFrames(specs, await deps.sources(), AbortSignal.any([call.signal, overTime.signal]), onImage);
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

/** A shot as sent and as recorded, from its frames. */
export function readyShot(s: ShotInput, start: ReadyFrame, end: ReadyFrame): CheckedShot {
  const send: ModelInput = { prompt: s.prompt, duration: s.duration, start_image_url: start.send, end_image_url: end.send };
  const record: RecordedInput = {
    prompt: s.prompt,
    duration: s.duration,
    start_image_url: start.record,
    end_image_url: end.record,
    image_sha256: { start_image_url: start.sha256, end_image_url: end.sha256 },
  };
  return { send, record, start, end };
}

/** Checks the frames of the given shots (each distinct frame once); returns what to send and what to record per shot. */
export async function checkShots(
  deps: FrameDeps,
  call: Pick<BoardCall, 'signal' | 'deadline'>,
  shots: ShotInput[],
  indexes: number[],
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<CheckedShots> {
  const refs = indexes.flatMap((i) => FRAME_FIELDS.map((field) => ({ label: `shot ${i} ${field}`, ref: shots[i - 1]![field], field })));
  const checked = await checkRefs(deps, call, refs, `${indexes.length} shot(s)`, onImage);
  return new Map(indexes.map((i) => [i, readyShot(shots[i - 1]!, checked.get(shots[i - 1]!.start_image_url)!, checked.get(shots[i - 1]!.end_image_url)!)]));
}

/** A recorded shot as input again; its duration was valid when it was planned. */
export function asShotInput(s: RecordedInput): ShotInput {
  return {
    prompt: s.prompt,
    start_image_url: s.start_image_url,
    end_image_url: s.end_image_url,
    duration: DEFAULT_MODEL.inputShape.duration.parse(s.duration),
  };
}

/** What continuity warnings read of a frame; a size not read in this call is unknown (NaN), and gives no shape warning. */
const frameFacts = (f: ReadyFrame) => ({ sha256: f.sha256, width: f.report?.width ?? NaN, height: f.report?.height ?? NaN });

/** The cuts and shape differences of a shot list, in film order. */
export function shotWarnings(checked: CheckedShots): string[] {
  return continuityWarnings([...checked.values()].map((s) => ({ start: frameFacts(s.start), end: frameFacts(s.end) })));
}

/** Each shot's start and end frame digests, in film order, for the contact sheet. */
export function sheetFrames(checked: CheckedShots): { start: string; end: string }[] {
  return [...checked.values()].map((s) => ({ start: s.start.sha256, end: s.end.sha256 }));
}
