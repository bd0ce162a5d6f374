/**
 * A clip in the words of the clip and board tools, whatever the engine: a
 * prompt, a start frame, an end frame (where the engine takes one), a length
 * and a sound switch. Each engine's module says which of its fields hold them
 * (`Model.clip`); this maps a clip onto an engine's input and back, and says,
 * in the tools' words, why an engine cannot take a clip. Pure.
 */
import type { AnyModel, ModelInputBase } from './model.js';
import { models } from './registry.js';
import { orList } from './schema.js';

/** A clip as the tools take it. Absent length and sound are the engine's defaults (5 s, silent, on every engine). */
export interface Clip {
  prompt: string;
  start_image_url: string;
  end_image_url?: string;
  duration?: number;
  sound?: boolean;
}

export type ClipFrame = 'start_image_url' | 'end_image_url';

/** The engines of the clip and board tools: every registered model that takes a clip, the default first. */
export function engines(): AnyModel[] {
  return models().filter((m) => m.clip !== undefined);
}

/** An engine by its RunComfy id or short key, in any case (RunComfy's ids differ in it: 3.0's `4k`, O3's `4K`). */
export function engineNamed(name: string): AnyModel | undefined {
  const wanted = name.trim().toLowerCase();
  return engines().find((m) => m.id.toLowerCase() === wanted || m.key === wanted);
}

/** Why there is no engine of that name, and the names there are. */
export function unknownEngine(name: string): string {
  return `model "${name}" is not an engine this server offers; use one of ${orList(engines().map((m) => m.key))} (or its RunComfy model id).`;
}

/** The keys of the engines for which `has` holds, for messages. */
const which = (has: (m: AnyModel) => boolean) =>
  orList(
    engines()
      .filter(has)
      .map((m) => m.key),
  );

/** "5 or 10", "3 to 15": the lengths an engine makes. */
export function lengthsText(durations: readonly number[]): string {
  const run = durations.length > 2 && durations.every((d, i) => i === 0 || d === durations[i - 1]! + 1);
  return run ? `${durations[0]} to ${durations.at(-1)}` : orList(durations);
}

/**
 * Why `engine` cannot make `clip`, in the tools' words and naming the engines that can; empty when it can.
 * `endRequired`: every shot of a board ends on a frame, so a board needs an engine that takes one.
 */
export function clipProblems(engine: AnyModel, clip: Clip, endRequired = false): string[] {
  const fields = engine.clip;
  if (!fields) return [`${engine.name} does not make clips from frames; use one of ${which(() => true)}.`];
  const problems: string[] = [];
  if (!fields.end && (clip.end_image_url !== undefined || endRequired)) {
    const why = endRequired ? 'the end frame every shot of a board ends on' : 'end_image_url';
    problems.push(`${engine.name} takes no end frame, so it cannot take ${why}; the engines that do: ${which((m) => m.clip?.end !== undefined)}.`);
  } else if (fields.end && clip.end_image_url === undefined && engine.schema.required?.includes(fields.end)) {
    problems.push(
      `end_image_url is required by ${engine.name}: give the frame the clip ends on (${which((m) => m.clip?.end !== undefined && !m.schema.required?.includes(m.clip.end))} make it optional).`,
    );
  }
  if (clip.sound && !fields.sound) problems.push(`${engine.name} makes no sound; the engines that do: ${which((m) => m.clip?.sound !== undefined)}.`);
  if (clip.duration !== undefined && engine.durations && !engine.durations.includes(clip.duration)) {
    problems.push(`duration ${clip.duration} is not a length ${engine.name} makes: it makes ${lengthsText(engine.durations)} seconds.`);
  }
  return problems;
}

/** The engine's input for a clip it can make (clipProblems is empty): the clip's values in its fields, every other field at its default. */
export function clipInput(engine: AnyModel, clip: Clip): ModelInputBase {
  const f = engine.clip!;
  return engine.input.parse({
    prompt: clip.prompt,
    [f.start]: clip.start_image_url,
    ...(f.end && clip.end_image_url !== undefined && { [f.end]: clip.end_image_url }),
    ...(clip.duration !== undefined && { duration: clip.duration }),
    ...(f.sound && clip.sound !== undefined && { [f.sound]: clip.sound }),
  });
}

/** The clip tools' name for one of an engine's fields (O3's `image` is start_image_url); other fields keep their own. */
export function clipName(engine: AnyModel, field: string): string {
  return field === engine.clip?.start ? 'start_image_url' : field === engine.clip?.end ? 'end_image_url' : field;
}

/** Whether an engine's input asks for sound. */
export function hasSound(engine: AnyModel, input: Readonly<Record<string, unknown>>): boolean {
  return engine.clip?.sound !== undefined && input[engine.clip.sound] === true;
}
