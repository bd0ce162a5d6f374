/**
 * Encodes RGB frames as an H.264 MP4 in memory: our I_PCM encoder makes the
 * packets, mediabunny muxes them with the avcC we built. Frames are pulled one
 * at a time, so only the muxed file is held, never the raw frames.
 */
import { BufferTarget, EncodedPacket, EncodedVideoPacketSource, Mp4OutputFormat, Output } from 'mediabunny';
import { PcmH264Encoder } from './h264-pcm.js';

export interface Mp4EncodeOptions {
  /** Picture size in pixels, both even. */
  width: number;
  height: number;
  fps: number;
}

/** `frames` yields packed 8-bit RGB pictures of `width × height`. */
export async function encodeMp4(frames: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, o: Mp4EncodeOptions): Promise<Buffer> {
  const encoder = new PcmH264Encoder(o.width, o.height, o.fps);
  const target = new BufferTarget();
  const output = new Output({ format: new Mp4OutputFormat({ fastStart: 'in-memory' }), target });
  const source = new EncodedVideoPacketSource('avc');
  output.addVideoTrack(source, { frameRate: o.fps });
  await output.start();
  let i = 0;
  for await (const rgb of frames) {
    const { data, key } = encoder.encode(rgb);
    await source.add(new EncodedPacket(data, key ? 'key' : 'delta', i / o.fps, 1 / o.fps), i === 0 ? { decoderConfig: encoder.config } : undefined);
    i++;
  }
  if (i === 0) throw new RangeError('encodeMp4 needs at least one frame');
  await output.finalize();
  return Buffer.from(target.buffer!);
}
