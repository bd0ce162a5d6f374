/**
 * The clip arguments of generate_video and of every shot of the board tools:
 * the same for every engine (start_image_url, end_image_url, duration, sound,
 * model), each engine's own fields filled from them (preflight/engine.ts).
 */
import { z } from 'zod';
import { engines, lengthsText } from '../models/clip.js';
import { DEFAULT_MODEL } from '../models/registry.js';

const seed = DEFAULT_MODEL.inputShape;
const seedLengths = lengthsText(DEFAULT_MODEL.durations ?? []);
const otherLengths = [...new Set(engines().flatMap((m) => (m === DEFAULT_MODEL || !m.durations ? [] : [lengthsText(m.durations)])))].join(' or ');

export const modelArg = z
  .string({ error: 'model must be a string: an engine’s short key or RunComfy model id.' })
  .trim()
  .min(1, { error: 'model is empty: leave it out for the default engine, or name one.' })
  .max(100, { error: 'model is longer than any engine’s name.' })
  .optional()
  .describe(
    `The engine, by short key or RunComfy id: ${engines()
      .map((m) => m.key)
      .join(', ')}. Default ${DEFAULT_MODEL.key}.`,
  );

export const soundArg = z
  .boolean({ error: 'sound must be true or false.' })
  .optional()
  .describe('Sound made with the picture, on the engines that make it (3.0 and O3); it costs more per second except in 4K. Default false.');

const allLengths = engines().flatMap((m) => m.durations ?? []);
const [shortest, longest] = [Math.min(...allLengths), Math.max(...allLengths)];
const lengthError = `duration must be a whole number of seconds from ${shortest} to ${longest}.`;

export const durationArg = z
  .number({ error: 'duration must be a number of seconds.' })
  .int({ error: lengthError })
  .min(shortest, { error: lengthError })
  .max(longest, { error: lengthError })
  .optional()
  .describe(`Seconds: ${seedLengths} on ${DEFAULT_MODEL.key}, ${otherLengths} on the others. Default 5.`);

/** A clip's arguments: generate_video's, whose end frame is optional (on the engines that make it so). */
export function clipArgs() {
  return {
    prompt: seed.prompt,
    start_image_url: seed.start_image_url,
    end_image_url: seed.end_image_url.optional(),
    duration: durationArg,
    sound: soundArg,
    model: modelArg,
  };
}

/** A shot's arguments: a clip that ends on a frame, whose engine and sound default to the board's. */
export function shotArgs() {
  return {
    prompt: seed.prompt,
    start_image_url: seed.start_image_url,
    end_image_url: seed.end_image_url,
    duration: durationArg,
    sound: soundArg.describe("Sound for this shot (as generate_video's); default the board's."),
    model: modelArg.describe("This shot's engine (as generate_video's model); default the board's."),
  };
}

/** The engine and sound of a board's shots that name none. */
export const boardEngineArgs = {
  model: modelArg.describe(
    `${modelArg.description!.replace(/^The engine,/, 'The engine of the shots that name none,')} One without end frames cannot make a board's shots.`,
  ),
  sound: soundArg.describe('Sound for the shots that do not say (see generate_video); default false. A soundtrack replaces the clips’ sound in the film.'),
};
