/**
 * Audio files for soundtrack tests, made here rather than committed: mediabunny
 * muxes packets it is handed without encoding, so silent frames written by
 * hand (an MPEG-1 Layer III frame of zeros, an AAC-LC frame of silence) make
 * real AAC (.m4a, ADTS .aac) and MP3 files; WAV and Ogg Opus too, to be refused.
 */
import { writeFileSync } from 'node:fs';
import {
  AdtsOutputFormat,
  BufferTarget,
  EncodedAudioPacketSource,
  EncodedPacket,
  Mp3OutputFormat,
  Mp4OutputFormat,
  OggOutputFormat,
  Output,
  WavOutputFormat,
  type AudioCodec,
  type OutputFormat,
} from 'mediabunny';

const RATE = 44_100;

interface Kind {
  format: () => OutputFormat;
  codec: AudioCodec;
  frame: Uint8Array;
  samples: number;
  description?: Uint8Array;
  codecString: string;
}

// 128 kbit/s, 44.1 kHz, mono: 417 bytes a frame; zero side information and main data decode to silence.
const mp3Frame = new Uint8Array(417);
mp3Frame.set([0xff, 0xfb, 0x90, 0xc0]);
// AudioSpecificConfig: AAC LC, 44.1 kHz, mono; and one raw frame of silence.
const AAC_CONFIG = new Uint8Array([0x12, 0x08]);
const aacFrame = new Uint8Array([0x01, 0x40, 0x20, 0x07]);
const OPUS_HEAD = new Uint8Array([0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 1, 1, 0x38, 1, 0x44, 0xac, 0, 0, 0, 0, 0]);

const KINDS = {
  m4a: { format: () => new Mp4OutputFormat(), codec: 'aac', frame: aacFrame, samples: 1024, description: AAC_CONFIG, codecString: 'mp4a.40.2' },
  aac: { format: () => new AdtsOutputFormat(), codec: 'aac', frame: aacFrame, samples: 1024, description: AAC_CONFIG, codecString: 'mp4a.40.2' },
  mp3: { format: () => new Mp3OutputFormat(), codec: 'mp3', frame: mp3Frame, samples: 1152, codecString: 'mp3' },
  wav: { format: () => new WavOutputFormat(), codec: 'pcm-s16', frame: new Uint8Array(2 * 441), samples: 441, codecString: 'pcm-s16' },
  opus: {
    format: () => new OggOutputFormat(),
    codec: 'opus',
    frame: new Uint8Array([0xf8, 0xff, 0xfe]),
    samples: 960,
    description: OPUS_HEAD,
    codecString: 'opus',
  },
} satisfies Record<string, Kind>;

export type AudioKind = keyof typeof KINDS;

/** Writes about `seconds` of silence as `kind` to `file`; returns the exact duration written. */
export async function writeSilence(file: string, kind: AudioKind, seconds: number): Promise<number> {
  const k: Kind = KINDS[kind];
  const rate = kind === 'opus' ? 48_000 : RATE;
  const output = new Output({ format: k.format(), target: new BufferTarget() });
  const source = new EncodedAudioPacketSource(k.codec);
  output.addAudioTrack(source);
  await output.start();
  const frameS = k.samples / rate;
  const n = Math.ceil(seconds / frameS);
  for (let i = 0; i < n; i++) {
    const config = { codec: k.codecString, sampleRate: rate, numberOfChannels: 1, ...(k.description && { description: k.description }) };
    await source.add(new EncodedPacket(k.frame, 'key', i * frameS, frameS), i === 0 ? { decoderConfig: config } : undefined);
  }
  await output.finalize();
  writeFileSync(file, new Uint8Array(output.target.buffer!));
  return n * frameS;
}
