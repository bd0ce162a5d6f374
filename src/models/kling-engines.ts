/**
 * What the Kling 3.0 and O3 image-to-video engines share beyond their
 * schemas: our words for the prompt (their schemas' say nothing), the file
 * types of their frames, run times per clip length, and the simulator's
 * timing. Each engine is its own module (kling-3.0-*.ts, kling-o3-*.ts) with
 * its schema pasted verbatim; this is the part the six would otherwise repeat.
 */
import type { FieldWords } from './schema.js';

/** Longest prompt taken: Kling rejects very long prompts upstream, so they are stopped here where it costs nothing. */
const PROMPT_MAX_CHARS = 2500;

/** The prompt of an engine whose end frame is optional (the seed's words name both frames). */
export const ENGINE_PROMPT: FieldWords = {
  doc: `What happens in the clip: motion, camera, light, sound. At most ${PROMPT_MAX_CHARS} characters.`,
  what: 'describing the motion of the clip',
  empty: 'describe the motion, camera and light of the clip.',
  maxLength: PROMPT_MAX_CHARS,
};

/** Kling 3.0's frames: its schema names the types (O3's do not; Kling's image API takes the same). */
export const FRAME = { kind: 'image', types: ['jpg', 'jpeg', 'png', 'bmp', 'webp'] } as const;

/** Expected run time per clip length until the ledger learns it: a fixed start plus a share per second (as the seed's 5 s 90 s, 10 s 150 s). */
export function runTimes(durations: readonly number[], scale = 1): Record<number, number> {
  return Object.fromEntries(durations.map((d) => [d, Math.round((30_000 + 12_000 * d) * scale)]));
}

/** Every whole second from 3 to 15: what the 3.0 and O3 engines take. */
export const ENGINE_SECONDS = Array.from({ length: 13 }, (_, i) => i + 3);

/** The simulator's queue and run time for a clip of these seconds (a minute of real run time is a few virtual seconds). */
export const simTiming = (seconds: number) => ({ queueMs: 2_000, runMs: 2_000 + 600 * seconds });
