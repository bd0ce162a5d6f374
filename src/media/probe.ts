/**
 * What a video file is, read with mediabunny from its container alone (no
 * decoding): duration, frame count, size, codec, and the decoder
 * configuration (for H.264, the avcC record holding the parameter sets) that
 * decides whether clips can be joined by copying packets.
 */
import { createHash } from 'node:crypto';
import { ALL_FORMATS, FilePathSource, Input, type AudioCodec, type InputAudioTrack, type InputVideoTrack, type VideoCodec } from 'mediabunny';
import { KlingError } from '../errors.js';

export interface AudioProbe {
  codec: AudioCodec | null;
  sampleRate: number;
  channels: number;
  /** Seconds to the end of the last audio packet. */
  durationS: number;
  /** The codec's decoder configuration bytes (for AAC, the AudioSpecificConfig), or null if it has none. */
  config: Uint8Array | null;
  /** sha256 of `config`. */
  configSha256: string | null;
}

export interface ClipProbe {
  path: string;
  /** Seconds to the end of the last frame or sample, over all tracks. */
  durationS: number;
  /** Video packets (one per frame). */
  frames: number;
  width: number;
  height: number;
  /** mediabunny's codec name: "avc" for H.264; null if unknown. */
  codec: VideoCodec | null;
  /** RFC 6381 codec string, e.g. "avc1.42C01E". */
  codecString: string | null;
  /** The decoder configuration record (avcC for H.264), or null if the container has none. */
  avcC: Uint8Array | null;
  avcCSha256: string | null;
  audio: AudioProbe | null;
}

/** Opens a video file; the caller must dispose the Input. Throws media_unreadable. */
export async function openVideo(filePath: string): Promise<{ input: Input; video: InputVideoTrack; audio: InputAudioTrack | null }> {
  const input = new Input({ source: new FilePathSource(filePath), formats: ALL_FORMATS });
  try {
    const video = await input.getPrimaryVideoTrack();
    if (!video) throw new Error('it has no video track');
    return { input, video, audio: await input.getPrimaryAudioTrack() };
  } catch (err) {
    input.dispose();
    throw new KlingError('media_unreadable', `${filePath} cannot be read as a video: ${(err as Error).message}.`, { cause: err });
  }
}

export async function probeClip(filePath: string): Promise<ClipProbe> {
  const { input, video, audio } = await openVideo(filePath);
  try {
    const config = await video.getDecoderConfig();
    const avcC = config?.description ? toBytes(config.description) : null;
    return {
      path: filePath,
      durationS: await input.computeDuration(),
      frames: (await video.computePacketStats()).packetCount,
      width: await video.getCodedWidth(),
      height: await video.getCodedHeight(),
      codec: await video.getCodec(),
      codecString: config?.codec ?? null,
      avcC,
      avcCSha256: avcC && sha256(avcC),
      audio: audio && (await probeAudio(input, audio)),
    };
  } catch (err) {
    if (err instanceof KlingError) throw err;
    throw new KlingError('media_unreadable', `${filePath} cannot be read as a video: ${(err as Error).message}.`, { cause: err });
  } finally {
    input.dispose();
  }
}

async function probeAudio(input: Input, track: InputAudioTrack): Promise<AudioProbe> {
  const description = (await track.getDecoderConfig())?.description;
  const config = description ? toBytes(description) : null;
  return {
    codec: await track.getCodec(),
    sampleRate: await track.getSampleRate(),
    channels: await track.getNumberOfChannels(),
    durationS: await input.computeDuration([track]),
    config,
    configSha256: config && sha256(config),
  };
}

function toBytes(source: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
