/**
 * AAC-LC audio for the simulator's clips "with sound", written in pure
 * TypeScript: each 1024-sample frame is one raw_data_block (ISO/IEC 14496-3)
 * whose long window carries a single spectral line, the note of `melody.ts` at
 * that moment. Only what that needs is coded: the bands below the note's are
 * one zero section, the note's band one section of codebook 1 (signed quads of
 * −1…1), its scalefactor the global gain. Also the silent frame for a
 * configuration, which the film pads a silent shot's sound with.
 */
import { BitWriter } from './bit-writer.js';
import { BEAT_S, lineSign, melody } from './melody.js';

export const AAC_FRAME_SAMPLES = 1024;
/** The sampling frequency indexes of the rates offered (ISO/IEC 14496-3, 1.6.3.3); both use the same long-window bands. */
const RATE_INDEX = { 48_000: 3, 44_100: 4 } as const;
export type AacSampleRate = keyof typeof RATE_INDEX;
/** Where each scalefactor band of a long window starts at 44.1 and 48 kHz, up to the highest a note can reach (1 kHz). */
const BAND_STARTS = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 48, 56, 64, 72, 80, 88, 96, 108];
/** A line's value is 2^((gain − 100)/4) on the 16-bit scale: 189 peaks at about a fifth of full scale. */
const GLOBAL_GAIN = 189;
/** Codebook 1's 5-bit codewords for a quad holding one +1 (or −1) at position 0…3, every other value 0 (table 4.A.2). */
const PLUS_ONE = [0x10, 0x13, 0x16, 0x14];
const MINUS_ONE = [0x11, 0x17, 0x15, 0x12];
const ID_SCE = 0;
const ID_CPE = 1;
const ID_END = 7;

export interface AacDecoderConfig {
  codec: 'mp4a.40.2';
  sampleRate: number;
  numberOfChannels: number;
  /** The AudioSpecificConfig. */
  description: Uint8Array;
}

export interface AacTrack {
  config: AacDecoderConfig;
  /** Raw AAC frames (no ADTS headers), each AAC_FRAME_SAMPLES long. */
  frames: Uint8Array[];
  /** Seconds of one frame. */
  frameS: number;
}

export interface AacOptions {
  /** How long the sound lasts; whole frames, so up to one frame (about 21 ms) longer. */
  seconds: number;
  /** What the tune is made from (the request), so the same request always sounds the same. */
  seed: string;
  sampleRate?: AacSampleRate;
  /** 1 or 2; in stereo both channels play the tune. */
  channels?: 1 | 2;
}

export function aacTrack(track: AacOptions): AacTrack {
  const sampleRate = track.sampleRate ?? 48_000;
  const channels = track.channels ?? 2;
  if (!(track.seconds > 0)) throw new RangeError(`aacTrack needs a positive length, not ${track.seconds}`);
  const frameS = AAC_FRAME_SAMPLES / sampleRate;
  const note = melody(track.seed);
  const frames: Uint8Array[] = [];
  for (let m = 0; m < Math.ceil(track.seconds / frameS - 1e-9); m++) {
    const hz = note(Math.floor((m * frameS) / BEAT_S));
    const k = Math.min(BAND_STARTS.at(-1)! - 1, Math.round((hz * 2 * AAC_FRAME_SAMPLES) / sampleRate - 0.5));
    frames.push(rawDataBlock(channels, { k, sign: lineSign(k, m) }));
  }
  return { config: aacConfig(sampleRate, channels), frames, frameS };
}

/** The decoder configuration of AAC-LC at this rate and channel count: its 2-byte AudioSpecificConfig. */
export function aacConfig(sampleRate: AacSampleRate, channels: 1 | 2): AacDecoderConfig {
  // audioObjectType 2 (LC), samplingFrequencyIndex, channelConfiguration, then GASpecificConfig: 1024-sample
  // frames, no core coder, no extension.
  const asc = new BitWriter(2).u(5, 2).u(4, RATE_INDEX[sampleRate]).u(4, channels).u(3, 0).bytes();
  return { codec: 'mp4a.40.2', sampleRate, numberOfChannels: channels, description: asc.slice() };
}

/**
 * A frame of silence that decodes under `asc` (an AudioSpecificConfig), or undefined unless it is plain AAC-LC
 * of 1024-sample frames in mono or stereo (what this writer can pad with).
 */
export function aacSilentFrame(asc: Uint8Array): Uint8Array | undefined {
  if (asc.length < 2) return undefined;
  const bits = (asc[0]! << 8) | asc[1]!;
  const objectType = bits >>> 11;
  const rateIndex = (bits >>> 7) & 0xf;
  const channels = (bits >>> 3) & 0xf;
  const frameLengthFlag = (bits >>> 2) & 1;
  if (objectType !== 2 || rateIndex === 0xf || frameLengthFlag !== 0 || (channels !== 1 && channels !== 2)) return undefined;
  return rawDataBlock(channels);
}

/** One frame: a channel element (SCE, or CPE without a common window) playing `line` (or nothing), then END. */
function rawDataBlock(channels: 1 | 2, line?: { k: number; sign: 1 | -1 }): Uint8Array {
  const w = new BitWriter(16);
  w.u(3, channels === 1 ? ID_SCE : ID_CPE).u(4, 0);
  if (channels === 2) w.u(1, 0); // common_window
  for (let c = 0; c < channels; c++) channelStream(w, line);
  return w.u(3, ID_END).alignZero().bytes().slice();
}

/** individual_channel_stream: a long window whose bands are all zero but the line's. */
function channelStream(w: BitWriter, line: { k: number; sign: 1 | -1 } | undefined): void {
  const band = line ? BAND_STARTS.findLastIndex((start) => start <= line.k) : -1;
  w.u(8, GLOBAL_GAIN);
  // ics_info: reserved bit, ONLY_LONG_SEQUENCE, sine window, max_sfb, no prediction.
  w.u(1, 0)
    .u(2, 0)
    .u(1, 0)
    .u(6, band + 1)
    .u(1, 0);
  if (line) {
    // section_data: bands below the line's are one ZERO_HCB section, the line's band one codebook-1 section.
    if (band > 0) sectionOf(w, 0, band);
    sectionOf(w, 1, 1);
    // scale_factor_data: the band's scalefactor equals the global gain, a difference of 0 (codeword "0").
    w.u(1, 0);
  }
  w.u(1, 0).u(1, 0).u(1, 0); // no pulse data, TNS or gain control
  if (line) {
    const start = BAND_STARTS[band]!;
    for (let q = start; q < BAND_STARTS[band + 1]!; q += 4) {
      if (line.k < q || line.k >= q + 4) w.u(1, 0);
      else w.u(5, (line.sign > 0 ? PLUS_ONE : MINUS_ONE)[line.k - q]!);
    }
  }
}

/** A section: its codebook, then its length in bands, in 5-bit steps where 31 means "and more". */
function sectionOf(w: BitWriter, codebook: number, bands: number): void {
  w.u(4, codebook);
  for (; bands >= 31; bands -= 31) w.u(5, 31);
  w.u(5, bands);
}
