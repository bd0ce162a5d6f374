/**
 * Joins clips into one film in order WITHOUT re-encoding: their H.264 packets
 * are copied with shifted timestamps. That is only valid when every clip has
 * the same coded size and the same parameter sets (avcC), so those are checked
 * first and a mismatch is refused with the shots named. The film is written
 * under a temporary name, read back and verified (duration and frame count
 * are the sums of the clips'), and only then renamed into place. Clips are
 * read one at a time, packet by packet, so memory stays bounded. A soundtrack
 * (AAC or MP3) replaces the clips' sound: its packets are copied as they are,
 * up to the film's end, interleaved clip by clip.
 */
import {
  EncodedAudioPacketSource,
  type EncodedPacket,
  EncodedPacketSink,
  EncodedVideoPacketSource,
  FilePathTarget,
  Mp4OutputFormat,
  Output,
  type AudioCodec,
  type InputAudioTrack,
  type InputTrack,
} from 'mediabunny';
import { KlingError, isKlingError } from '../errors.js';
import { writeFileAtomically } from './atomic-file.js';
import { openVideo, probeClip, type AudioProbe, type ClipProbe } from './probe.js';
import { openSoundtrack, type SoundtrackCodec } from './soundtrack.js';

export interface Soundtrack {
  path: string;
  codec: SoundtrackCodec;
}

export interface Film {
  path: string;
  bytes: number;
  sha256: string;
  durationS: number;
  frames: number;
  width: number;
  height: number;
  /** Whether the clips' sound was carried over. */
  audio: boolean;
  /** Things the caller should tell the user, e.g. why the film has no sound. */
  warnings: string[];
  /** Seconds of the soundtrack in the film, when one was muxed in. */
  soundtrackS?: number;
}

/** The largest gap allowed between the film's duration and the sum of the clips'. */
const DURATION_TOLERANCE_S = 0.1;
const KEPT = 'the clips are kept';

/** Joins `clipPaths` in order into `outPath` (MP4). Throws stitch_mismatch (refused, nothing written) or stitch_failed. */
export async function stitchClips(clipPaths: string[], outPath: string, soundtrack?: Soundtrack): Promise<Film> {
  if (clipPaths.length === 0) throw new KlingError('stitch_failed', 'There are no clips to stitch.');
  const probes: ClipProbe[] = [];
  for (const [i, p] of clipPaths.entries()) {
    try {
      probes.push(await probeClip(p));
    } catch (err) {
      throw new KlingError('stitch_failed', `${shots([i])}: ${(err as Error).message} The film was not made; ${KEPT}.`, { cause: err });
    }
  }
  const mismatch = mismatchOf(probes);
  if (mismatch) throw new KlingError('stitch_mismatch', `${mismatch}; ${KEPT}.`);
  const sound = soundtrack ? { codec: soundtrack.codec, warnings: [] } : audioPlan(probes);
  const frames = probes.reduce((n, p) => n + p.frames, 0);

  let clipsDurationS = 0;
  let audioFrameS = 0;
  try {
    const written = await writeFileAtomically(
      outPath,
      async (temp) => {
        ({ offset: clipsDurationS, audioFrameS } = await copyPackets(clipPaths, temp, sound.codec, soundtrack));
      },
      (temp) => verify(temp, probes[0]!, { frames, clipsDurationS, withAudio: sound.codec !== null, soundtrack: soundtrack && { audioFrameS } }),
    );
    const film = written.checked.probe;
    return {
      path: written.path,
      bytes: written.bytes,
      sha256: written.sha256,
      durationS: film.durationS,
      frames: film.frames,
      width: film.width,
      height: film.height,
      audio: sound.codec !== null,
      warnings: sound.warnings,
      ...(soundtrack && { soundtrackS: written.checked.audioS }),
    };
  } catch (err) {
    if (isKlingError(err)) throw err;
    throw new KlingError('stitch_failed', `Writing the film ${outPath} failed: ${(err as Error).message}. Nothing was left under that name; ${KEPT}.`, {
      cause: err,
    });
  }
}

/** Why the clips cannot be joined by copying packets, or undefined if they can. */
function mismatchOf(probes: ClipProbe[]): string | undefined {
  const notAvc = probes.flatMap((p, i) => (p.codec === 'avc' ? [] : [i]));
  if (notAvc.length > 0) {
    const codecs = [...new Set(notAvc.map((i) => probes[i]!.codec ?? 'an unknown codec'))].join(', ');
    return `${shots(notAvc)} ${notAvc.length === 1 ? 'is' : 'are'} not H.264 (${codecs}); only H.264 clips can be joined without re-encoding`;
  }
  const bySize = differing(probes, (p) => `${p.width}×${p.height}`);
  if (bySize) return `${bySize}; clips of different sizes cannot be joined without re-encoding`;
  const bySettings = differing(probes, (p) => `encoded as ${p.codecString ?? 'H.264'} with parameter sets ${p.avcCSha256?.slice(0, 8) ?? '(none)'}`);
  if (bySettings) return `${bySettings}; clips with different H.264 parameter sets (avcC) cannot be joined without re-encoding`;
  return undefined;
}

/**
 * "shot 3 is A, shots 1–2 are B" when some clips' key differs from the first
 * clip's, else undefined. `verb` is the singular and plural to join them with.
 */
function differing(probes: ClipProbe[], key: (p: ClipProbe) => string, verb: [string, string] = ['is', 'are']): string | undefined {
  const groups = new Map<string, number[]>();
  probes.forEach((p, i) => groups.set(key(p), [...(groups.get(key(p)) ?? []), i]));
  if (groups.size === 1) return undefined;
  const [first, ...others] = [...groups.entries()];
  return [...others, first!].map(([k, idx]) => `${shots(idx)} ${verb[idx.length === 1 ? 0 : 1]} ${k}`).join(', ');
}

/** Whether to carry the clips' sound over: only when every clip has audio of one and the same configuration. */
function audioPlan(probes: ClipProbe[]): { codec: AudioCodec | null; warnings: string[] } {
  const silent = probes.flatMap((p, i) => (p.audio ? [] : [i]));
  if (silent.length === probes.length) return { codec: null, warnings: [] };
  const noSound = (why: string) => ({ codec: null, warnings: [`The film has no sound: ${why}.`] });
  if (silent.length > 0) return noSound(`${shots(silent)} ${silent.length === 1 ? 'has' : 'have'} no audio track`);
  const describe = (a: AudioProbe) => `${a.codec ?? 'unknown'} audio, ${a.sampleRate} Hz, ${a.channels} ch, config ${a.configSha256?.slice(0, 8) ?? '(none)'}`;
  const differs = differing(probes, (p) => describe(p.audio!), ['has', 'have']);
  if (differs) return noSound(`the clips' audio differs (${differs})`);
  const codec = probes[0]!.audio!.codec;
  return codec ? { codec, warnings: [] } : noSound("the clips' audio codec is not known");
}

/**
 * Copies every clip's packets into a new MP4 at `temp`, and the soundtrack's up to the film's end; returns the summed
 * clip durations (the offsets used) and the soundtrack's packet length.
 */
async function copyPackets(
  clipPaths: string[],
  temp: string,
  audioCodec: AudioCodec | null,
  soundtrack: Soundtrack | undefined,
): Promise<{ offset: number; audioFrameS: number }> {
  // No fast start: the index goes at the end, so nothing has to be held back in memory. Not chunked either: each
  // write goes straight to the file, where 1 MiB chunks were one more copy of the whole film, left to the GC.
  const output = new Output({ format: new Mp4OutputFormat({ fastStart: false }), target: new FilePathTarget(temp, { chunked: false }) });
  const video = new EncodedVideoPacketSource('avc');
  output.addVideoTrack(video);
  const audio = audioCodec ? new EncodedAudioPacketSource(audioCodec) : undefined;
  if (audio) output.addAudioTrack(audio);
  let offset = 0;
  const music = soundtrack ? await openSoundtrack(soundtrack.path) : undefined;
  const score = music && new SoundtrackCopy(music.track, audio!);
  try {
    await output.start();
    for (const [i, clipPath] of clipPaths.entries()) {
      const clip = await openVideo(clipPath);
      try {
        const tracks: InputTrack[] = [clip.video, ...(audio && clip.audio && !score ? [clip.audio] : [])];
        const videoConfig = i === 0 ? await clip.video.getDecoderConfig() : null;
        const audioConfig = i === 0 && audio && clip.audio ? await clip.audio.getDecoderConfig() : null;
        let firstVideo = true;
        let firstAudio = true;
        for await (const [track, packet] of interleaved(tracks)) {
          const shifted = packet.clone({ timestamp: packet.timestamp + offset });
          if (track === clip.video) {
            await video.add(shifted, firstVideo && videoConfig ? { decoderConfig: videoConfig } : undefined);
            firstVideo = false;
          } else {
            await audio!.add(shifted, firstAudio && audioConfig ? { decoderConfig: audioConfig } : undefined);
            firstAudio = false;
          }
        }
        offset += await clip.input.computeDuration(tracks);
      } finally {
        clip.input.dispose();
      }
      // The sound keeps up with the picture clip by clip, so the muxer never holds much of either.
      await score?.copyUntil(offset);
    }
    await output.finalize();
  } catch (err) {
    await output.cancel().catch(() => undefined);
    throw err;
  } finally {
    music?.input.dispose();
  }
  return { offset, audioFrameS: score?.longestPacketS ?? 0 };
}

/** Copies a soundtrack's packets, in order, as the film grows: each packet that starts before the film's end so far. */
class SoundtrackCopy {
  private readonly packets: AsyncGenerator<EncodedPacket>;
  private next: EncodedPacket | undefined | null = null;
  private first = true;
  longestPacketS = 0;

  constructor(
    private readonly track: InputAudioTrack,
    private readonly out: EncodedAudioPacketSource,
  ) {
    this.packets = new EncodedPacketSink(track).packets();
  }

  async copyUntil(endS: number): Promise<void> {
    for (;;) {
      if (this.next === null) this.next = (await this.packets.next()).value ?? undefined;
      const packet = this.next;
      if (!packet || packet.timestamp >= endS) return;
      const config = this.first ? await this.track.getDecoderConfig() : null;
      await this.out.add(packet, config ? { decoderConfig: config } : undefined);
      this.first = false;
      this.longestPacketS = Math.max(this.longestPacketS, packet.duration);
      this.next = null;
    }
  }
}

/** Packets of several tracks of one file, each track in decode order, merged by timestamp (so the muxer can interleave). */
async function* interleaved(tracks: InputTrack[]): AsyncGenerator<[InputTrack, EncodedPacket]> {
  const iterators = tracks.map((t) => new EncodedPacketSink(t).packets());
  const heads = await Promise.all(iterators.map((it) => it.next()));
  for (;;) {
    let pick = -1;
    heads.forEach((h, i) => {
      if (!h.done && (pick < 0 || h.value.timestamp < (heads[pick]!.value as EncodedPacket).timestamp)) pick = i;
    });
    if (pick < 0) return;
    yield [tracks[pick]!, heads[pick]!.value as EncodedPacket];
    heads[pick] = await iterators[pick]!.next();
  }
}

/**
 * Reads the written film back; throws stitch_failed unless it holds what was copied. With a soundtrack, the picture
 * alone must last as long as the clips, and the sound at most one audio packet longer.
 */
async function verify(
  temp: string,
  first: ClipProbe,
  want: { frames: number; clipsDurationS: number; withAudio: boolean; soundtrack?: { audioFrameS: number } },
): Promise<{ probe: ClipProbe; audioS?: number }> {
  const film = await probeClip(temp);
  const { videoS, audioS } = await trackDurations(temp);
  const pictureS = want.soundtrack ? videoS : film.durationS;
  const problems = [
    film.codec !== 'avc' && `its codec is ${film.codec}`,
    film.frames !== want.frames && `it has ${film.frames} frames, the clips ${want.frames}`,
    Math.abs(pictureS - want.clipsDurationS) > DURATION_TOLERANCE_S && `it lasts ${pictureS.toFixed(3)} s, the clips ${want.clipsDurationS.toFixed(3)} s`,
    (film.width !== first.width || film.height !== first.height) && `it is ${film.width}×${film.height}, the clips ${first.width}×${first.height}`,
    want.withAudio !== (film.audio !== null) && `its sound is ${film.audio ? 'present' : 'missing'}`,
    want.soundtrack &&
      audioS !== undefined &&
      audioS > videoS + want.soundtrack.audioFrameS + 1e-6 &&
      `its sound lasts ${audioS.toFixed(3)} s, past the picture's ${videoS.toFixed(3)} s by more than one audio packet`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new KlingError('stitch_failed', `The stitched film did not check out (${problems.join('; ')}), so it was not saved; ${KEPT}.`);
  return { probe: film, ...(want.soundtrack && { audioS }) };
}

/** How long the picture and the sound of a file each last. */
async function trackDurations(file: string): Promise<{ videoS: number; audioS?: number }> {
  const { input, video, audio } = await openVideo(file);
  try {
    return { videoS: await input.computeDuration([video]), ...(audio && { audioS: await input.computeDuration([audio]) }) };
  } finally {
    input.dispose();
  }
}

/** "shot 3", "shots 1–2", "shots 1, 3 and 5–7" (1-based). */
function shots(indices: number[]): string {
  const runs: [number, number][] = [];
  for (const i of [...indices].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && i === last[1] + 1) last[1] = i;
    else runs.push([i, i]);
  }
  const parts = runs.map(([a, b]) => (a === b ? `${a + 1}` : `${a + 1}–${b + 1}`));
  const list = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${indices.length === 1 ? 'shot' : 'shots'} ${list}`;
}
