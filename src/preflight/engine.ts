/**
 * The engine a clip names, and its input for that engine, checked before
 * anything else is: an unknown engine, an end frame where the engine takes
 * none, sound on a silent engine or a length it does not make is refused by
 * name (and with the engines that can), before a frame is read or anything sent.
 */
import { KlingError } from '../errors.js';
import { clipInput, clipProblems, engineNamed, unknownEngine, type Clip } from '../models/clip.js';
import type { AnyModel, ModelInputBase } from '../models/model.js';
import { DEFAULT_MODEL } from '../models/registry.js';

/** The engine `name` means (the default when absent), or invalid_input naming the engines there are. */
export function engineOf(name: string | undefined, label = ''): AnyModel {
  if (name === undefined) return DEFAULT_MODEL;
  const engine = engineNamed(name);
  if (!engine) throw new KlingError('invalid_input', `${label}${unknownEngine(name)} Nothing was submitted.`);
  return engine;
}

export interface EngineClip {
  engine: AnyModel;
  /** The engine's input: the clip in its fields, its other fields at their defaults. */
  input: ModelInputBase;
}

/** Each clip's engine and input, or invalid_input with every reason any cannot be made, each after its label ("shot 3: "). */
export function engineClips(clips: readonly (Clip & { model?: string; label?: string })[], endRequired = false): EngineClip[] {
  const problems: string[] = [];
  const out = clips.map((clip) => {
    const label = clip.label ? `${clip.label}: ` : '';
    const engine = engineNamed(clip.model ?? DEFAULT_MODEL.id);
    if (!engine) {
      problems.push(`${label}${unknownEngine(clip.model!)}`);
      return undefined;
    }
    const wrong = clipProblems(engine, clip, endRequired);
    problems.push(...wrong.map((p) => `${label}${p}`));
    return wrong.length === 0 ? { engine, input: clipInput(engine, clip) } : undefined;
  });
  if (problems.length > 0) throw new KlingError('invalid_input', `${[...new Set(problems)].join('\n')}\nNothing was submitted.`);
  return out as EngineClip[];
}

/** One clip's engine and input (generate_video's), or invalid_input with every reason it cannot be made. */
export function engineClip(clip: Clip & { model?: string }): EngineClip {
  return engineClips([clip])[0]!;
}
