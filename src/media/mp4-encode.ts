/**
 * Encodes RGB frames as an H.264 MP4 in memory: our I_PCM encoder makes the
 * packets, mediabunny muxes them with the avcC we built, and with them, when
 * given, an AAC track's frames (aac.ts). Frames are pulled one at a time, so
 * only the muxed file is held, never the raw frames.
 */
import { BufferTarget, EncodedAudioPacketSource, EncodedPacket, EncodedVideoPacketSource, Mp4OutputFormat, Output } from 'mediabunny';
import type { AacTrack } from './aac.js';
import { PcmH264Encoder } from './h264-pcm.js';

export interface Mp4EncodeOptions {
  /** Picture size in pixels, both even. */
  width: number;
  height: number;
  fps: number;
  /** Sound to carry beside the picture, from its start. */
  audio?: AacTrack;
}

/** `frames` yields packed 8-bit RGB pictures of `width × height`. */
export async function encodeMp4(frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, video: Mp4EncodeOptions): Promise<Buffer> {
  const encoder = new PcmH264Encoder(video.width, video.height, video.fps);
  const target = new BufferTarget();
  const output = new Output({ format: new Mp4OutputFormat({ fastStart: 'in-memory' }), target });
  const source = new EncodedVideoPacketSource('avc');
  output.addVideoTrack(source, { frameRate: video.fps });
  const sound = video.audio && new EncodedAudioPacketSource('aac');
  if (sound) output.addAudioTrack(sound);
  await output.start();
  let sent = 0;
  // The sound goes in step with the picture, so the muxer interleaves them as it goes.
  const soundUntil = async (s: number) => {
    const a = video.audio!;
    for (; sent < a.frames.length && sent * a.frameS < s; sent++) {
      await sound!.add(new EncodedPacket(a.frames[sent]!, 'key', sent * a.frameS, a.frameS), sent === 0 ? { decoderConfig: a.config } : undefined);
    }
  };
  let i = 0;
  for await (const rgb of frames) {
    if (sound) await soundUntil((i + 1) / video.fps);
    const { data, key } = encoder.encode(rgb);
    await source.add(new EncodedPacket(data, key ? 'key' : 'delta', i / video.fps, 1 / video.fps), i === 0 ? { decoderConfig: encoder.config } : undefined);
    i++;
  }
  if (i === 0) throw new RangeError('encodeMp4 needs at least one frame');
  if (sound) await soundUntil(Infinity);
  await output.finalize();
  return Buffer.from(target.buffer!);
}
