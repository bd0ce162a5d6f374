/**
 * A deterministic tune for the simulator's sound: one note per beat from a
 * pentatonic scale, chosen by a generator seeded from a string (the request),
 * so the same request always sounds the same and two requests sound different.
 * The audio writers (aac.ts, mp3.ts) play each note as one spectral line.
 */
import { createHash } from 'node:crypto';

/** A major pentatonic over two octaves from A3 (220 Hz): pleasant whatever order the notes come in. */
const SCALE_HZ = [0, 2, 4, 7, 9, 12, 14, 16, 19, 21].map((semitones) => 220 * 2 ** (semitones / 12));
export const BEAT_S = 0.5;

/** The note (in Hz) playing at each beat of a tune seeded by `seed`. */
export function melody(seed: string): (beat: number) => number {
  const digest = createHash('sha256').update(seed).digest();
  const notes: number[] = [];
  let state = digest.readUInt32LE(0);
  return (beat) => {
    while (notes.length <= beat) {
      // mulberry32: small, fast and the same on every platform.
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      notes.push(SCALE_HZ[((t ^ (t >>> 14)) >>> 0) % SCALE_HZ.length]!);
    }
    return notes[beat]!;
  };
}

/**
 * The sign of a lone MDCT line in block `m` that best continues a sinusoid at the line's centre frequency: its phase
 * advances by (k + ½)·π a block, so the signs repeat every four blocks, in an order set by the line's parity.
 */
export function lineSign(k: number, m: number): 1 | -1 {
  const pattern = k % 2 === 0 ? [1, -1, -1, 1] : [1, 1, -1, -1];
  return pattern[m % 4] as 1 | -1;
}
