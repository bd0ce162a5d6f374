/**
 * Soundtracks, read with mediabunny from their container alone (nothing is
 * decoded or re-encoded): which codec, how long, and whether the film's MP4
 * can carry its packets as they are. AAC (in .m4a/.mp4 or ADTS .aac) and MP3 can.
 */
import type { Input, InputAudioTrack } from 'mediabunny';
import { KlingError } from '../errors.js';

export const SOUNDTRACK_CODECS = ['aac', 'mp3'] as const;
export type SoundtrackCodec = (typeof SOUNDTRACK_CODECS)[number];
export const ACCEPTED_SOUNDTRACKS = 'AAC (.m4a, .mp4 or .aac) or MP3 (.mp3)';

export interface SoundtrackProbe {
  codec: SoundtrackCodec;
  durationS: number;
  sampleRate: number;
  channels: number;
  /** Seconds of one audio packet (the most the film's sound may run past its picture). */
  frameS: number;
}

/** What the bytes are; throws invalid_input naming what is accepted unless they are an AAC or MP3 track. */
export async function probeSoundtrack(label: string, bytes: Uint8Array): Promise<SoundtrackProbe> {
  const refuse = (what: string) =>
    new KlingError(
      'invalid_input',
      `${label}: ${what}. A soundtrack must be ${ACCEPTED_SOUNDTRACKS}, so it can be added without re-encoding; convert it first (e.g. to .m4a). Nothing was submitted.`,
    );
  const { ALL_FORMATS, BufferSource, Input } = await import('mediabunny');
  const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
  try {
    let track: InputAudioTrack | null;
    let format: string;
    try {
      format = (await input.getFormat()).name;
      track = await input.getPrimaryAudioTrack();
    } catch {
      throw refuse('it is not an audio file this server can read');
    }
    if (!track) throw refuse(`it is ${article(format)} file without an audio track`);
    const codec = await track.getCodec();
    if (!SOUNDTRACK_CODECS.includes(codec as SoundtrackCodec)) throw refuse(`its audio is ${codec ?? 'of an unknown codec'} (in ${article(format)} file)`);
    const stats = await track.computePacketStats();
    const durationS = await input.computeDuration([track]);
    if (stats.packetCount === 0 || durationS <= 0) throw refuse('its audio track is empty');
    return {
      codec: codec as SoundtrackCodec,
      durationS,
      sampleRate: await track.getSampleRate(),
      channels: await track.getNumberOfChannels(),
      frameS: durationS / stats.packetCount,
    };
  } finally {
    input.dispose();
  }
}

/** Opens a kept soundtrack for copying its packets; the caller disposes the Input. */
export async function openSoundtrack(filePath: string): Promise<{ input: Input; track: InputAudioTrack }> {
  const { ALL_FORMATS, FilePathSource, Input } = await import('mediabunny');
  const input = new Input({ source: new FilePathSource(filePath), formats: ALL_FORMATS });
  const track = await input.getPrimaryAudioTrack().catch(() => null);
  if (!track) {
    input.dispose();
    throw new KlingError('media_unreadable', `The soundtrack ${filePath} can no longer be read as audio; the film was not made, the clips are kept.`);
  }
  return { input, track };
}

const article = (format: string) => `${/^[AEIOU]/i.test(format) ? 'an' : 'a'} ${format}`;
