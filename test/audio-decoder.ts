/**
 * Decodes the sound of a file for tests: mediabunny reads the container and
 * hands over the audio track's packets (as the film's stitching reads them),
 * and real decoders compiled to WebAssembly play them (Node has no WebCodecs):
 * FAAD2 for AAC, mpg123 for MP3. A stream that either decoder refuses, or that
 * plays as something else, fails the test.
 */
import { decoder as aacDecoder } from '@audio/decode-aac';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';
import { MPEGDecoder } from 'mpg123-decoder';

export interface DecodedAudio {
  codec: string;
  sampleRate: number;
  /** One array of samples (−1…1) per channel. */
  channels: Float32Array[];
  /** The track's length as the container says. */
  durationS: number;
  packets: number;
}

/** The primary audio track of a file (a path) or of bytes, decoded. */
export async function decodeAudio(file: string | Uint8Array): Promise<DecodedAudio> {
  const source = typeof file === 'string' ? new FilePathSource(file) : new BufferSource(file);
  const input = new Input({ source, formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryAudioTrack();
    if (!track) throw new Error('no audio track');
    const codec = await track.getCodec();
    const packets: Uint8Array[] = [];
    for await (const p of new EncodedPacketSink(track).packets()) packets.push(p.data);
    const durationS = await input.computeDuration([track]);
    if (codec === 'aac') {
      const config = await track.getDecoderConfig();
      const asc = new Uint8Array(config!.description as ArrayBuffer);
      const dec = await aacDecoder({ asc });
      try {
        const out = dec.decode(packets);
        return { codec, sampleRate: out.sampleRate, channels: out.channelData, durationS, packets: packets.length };
      } finally {
        dec.free();
      }
    }
    if (codec === 'mp3') {
      const dec = new MPEGDecoder();
      await dec.ready;
      try {
        const out = dec.decode(Buffer.concat(packets));
        if (out.errors.length > 0) throw new Error(`mpg123: ${out.errors.map((e) => e.message).join('; ')}`);
        return { codec, sampleRate: out.sampleRate, channels: out.channelData, durationS, packets: packets.length };
      } finally {
        dec.free();
      }
    }
    throw new Error(`no test decoder for ${codec}`);
  } finally {
    input.dispose();
  }
}

/** The loudest frequency (Hz, to 4 Hz) between 100 and 1500 Hz in `samples[from, to)`, by Goertzel's filter. */
export function dominantHz(samples: Float32Array, sampleRate: number, from: number, to: number): number {
  let best = 0;
  let bestHz = 0;
  for (let hz = 100; hz < 1500; hz += 4) {
    const c = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
    let s1 = 0;
    let s2 = 0;
    for (let i = from; i < to; i++) {
      const s0 = samples[i]! + c * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - c * s1 * s2;
    if (power > best) {
      best = power;
      bestHz = hz;
    }
  }
  return bestHz;
}

export function peak(samples: Float32Array): number {
  let max = 0;
  for (const x of samples) max = Math.max(max, Math.abs(x));
  return max;
}
