/**
 * MP3 music for the simulator, written in pure TypeScript: MPEG-1 Layer III,
 * mono, constant bit rate. Each granule (576 samples) carries one spectral line,
 * the note of `melody.ts` at that moment, coded with Huffman table 1 (two
 * values of 0 or 1 a codeword): the smallest real Layer III stream that a
 * decoder plays as a tune. No bit reservoir, no scalefactors; the rest of each
 * frame is ancillary zeros, so the file has the size its bit rate says.
 */
import { BitWriter } from './bit-writer.js';
import { BEAT_S, lineSign, melody } from './melody.js';

export const MP3_FRAME_SAMPLES = 1152;
const GRANULE_LINES = 576;
const SAMPLE_RATES = [44_100, 48_000, 32_000] as const;
const BITRATES_KBPS = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] as const;
export type Mp3SampleRate = (typeof SAMPLE_RATES)[number];
export type Mp3Kbps = (typeof BITRATES_KBPS)[number];
/** A line's value is 2^((global_gain − 210)/4): 198 plays it at about a fifth of full scale. */
const GLOBAL_GAIN = 198;

export interface Mp3Options {
  /** How long the music lasts; the file holds whole frames, so it may run up to one frame (26 ms at 44.1 kHz) longer. */
  seconds: number;
  /** What the tune is made from (the request), so the same request always gives the same bytes. */
  seed: string;
  sampleRate?: Mp3SampleRate;
  kbps?: Mp3Kbps;
}

/** The bytes of an .mp3 file (a bare stream of frames, as ElevenLabs' `mp3_*` formats are) of about `seconds`. */
export function mp3File(file: Mp3Options): Uint8Array {
  const sampleRate = file.sampleRate ?? 44_100;
  const kbps = file.kbps ?? 128;
  if (!(file.seconds > 0)) throw new RangeError(`mp3File needs a positive length, not ${file.seconds}`);
  const frames = Math.ceil((file.seconds * sampleRate) / MP3_FRAME_SAMPLES);
  // Bytes a frame = 144 × bit rate / sample rate; where that is not whole, some frames carry a padding byte.
  const exact = (144_000 * kbps) / sampleRate;
  const out = new Uint8Array(Math.ceil(exact * frames) + 1);
  const note = melody(file.seed);
  let at = 0;
  for (let f = 0; f < frames; f++) {
    const size = Math.floor((f + 1) * exact) - Math.floor(f * exact);
    const granules = [0, 1].map((g) => {
      const m = 2 * f + g;
      const hz = note(Math.floor((m * GRANULE_LINES) / sampleRate / BEAT_S));
      const k = Math.max(0, Math.min(GRANULE_LINES - 1, Math.round((hz * 2 * GRANULE_LINES) / sampleRate - 0.5)));
      return { k, negative: lineSign(k, m) < 0 };
    });
    out.set(frame(granules, { sampleRate, kbps, padded: size > Math.floor(exact) }), at);
    at += size;
  }
  return out.subarray(0, at);
}

function frame(granules: { k: number; negative: boolean }[], header: { sampleRate: Mp3SampleRate; kbps: Mp3Kbps; padded: boolean }): Uint8Array {
  const w = new BitWriter(64);
  // Header: sync, MPEG-1, Layer III, no CRC; bit rate; sample rate; padding; private; mono; no mode extension,
  // not copyrighted, original, no emphasis.
  w.u(11, 0x7ff).u(2, 0b11).u(2, 0b01).u(1, 1);
  w.u(4, BITRATES_KBPS.indexOf(header.kbps) + 1)
    .u(2, SAMPLE_RATES.indexOf(header.sampleRate))
    .flag(header.padded)
    .u(1, 0);
  w.u(2, 0b11).u(2, 0).u(1, 0).u(1, 1).u(2, 0);
  // Side information (17 bytes, mono): main data starts here (no reservoir), private bits, no scalefactor sharing.
  w.u(9, 0).u(5, 0).u(4, 0);
  for (const { k } of granules) {
    const pair = k >> 1;
    // part2_3_length: one bit for each zero pair before the line's, its codeword (2 or 3 bits) and a sign bit.
    w.u(12, pair + (k % 2 === 0 ? 2 : 3) + 1);
    w.u(9, pair + 1); // big_values: pairs up to the line's
    w.u(8, GLOBAL_GAIN).u(4, 0); // global_gain; scalefac_compress 0: no scalefactor bits
    w.u(1, 0); // window_switching_flag: long blocks
    w.u(5, 1).u(5, 1).u(5, 1); // table_select: table 1 in every region
    w.u(4, 0).u(3, 0); // region0_count, region1_count
    w.u(1, 0).u(1, 0).u(1, 0); // preflag, scalefac_scale, count1table_select
  }
  // Main data: Huffman table 1 codes (0,0) as 1, (1,0) as 01, (0,1) as 001, each non-zero value then its sign.
  for (const { k, negative } of granules) {
    for (let p = 0; p < k >> 1; p++) w.u(1, 1);
    if (k % 2 === 0) w.u(2, 0b01);
    else w.u(3, 0b001);
    w.flag(negative);
  }
  const bytes = w.alignZero().bytes();
  const out = new Uint8Array(Math.floor((144_000 * header.kbps) / header.sampleRate) + (header.padded ? 1 : 0));
  out.set(bytes);
  return out;
}
