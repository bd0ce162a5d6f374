/**
 * What the soundtrack tool lists: the lengths the music model makes and a soundtrack as its answer shows it.
 * Making one (soundtracks.ts) loads on the tool's first call: no start needs it.
 */
import { z } from 'zod';
import { usdOrNull } from '../calls/reply-shapes.js';
import { savedFileSchema } from '../ledger/records.js';
import { MUSIC_MODEL } from '../models/registry.js';

const LENGTH = MUSIC_MODEL.schema.properties.music_length_ms!;
/** The lengths the music model makes, in seconds. */
export const SOUNDTRACK_SECONDS = { min: LENGTH.minimum! / 1000, max: LENGTH.maximum! / 1000 };

export const soundtrackViewShape = {
  soundtrack_id: z.string().describe('give it as `soundtrack` to generate_storyboard or revise_storyboard'),
  status: z.string().describe('made, reused (made before, no cost), or where its job stands'),
  request_id: z.string().optional(),
  seconds: z.number().describe('the length asked for'),
  file: savedFileSchema.optional(),
  cost_usd: usdOrNull().describe('what this call spent on it: 0 when reused (null: price unknown)'),
  error: z.string().optional(),
};
export type SoundtrackView = z.output<z.ZodObject<typeof soundtrackViewShape>>;
