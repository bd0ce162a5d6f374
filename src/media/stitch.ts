/**
 * Joins clips into one film in order WITHOUT re-encoding: their H.264 packets
 * are copied with shifted timestamps. That is only valid when every clip has
 * the same coded size and the same parameter sets (avcC), so those are checked
 * first and a mismatch is refused with the shots named. The film is written
 * under a temporary name, read back and verified (duration and frame count
 * are the sums of the clips'), and only then renamed into place. Clips are
 * read one at a time, packet by packet, so memory stays bounded.
 *
 * The film's sound (`FilmAudio`): a soundtrack (AAC or MP3) replaces the
 * clips' sound, its packets copied as they are up to the film's end. Without
 * one, the clips' own sound is copied when every clip that has sound has it in
 * one format; shots without sound are filled with silent frames of that format
 * (AAC-LC only: other formats cannot be padded, so the film is then silent).
 * Each shot's sound is laid from where its picture starts and cut or padded to
 * within half an audio frame of its end, so picture and sound never drift apart
 * however many shots there are.
 */
import {
  EncodedAudioPacketSource,
  EncodedPacket,
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
import { AAC_FRAME_SAMPLES, aacSilentFrame } from './aac.js';
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
  /** What the film's sound is and why. */
  audio: FilmAudio;
  /** Things the caller should tell the user, e.g. why the film has no sound. */
  warnings: string[];
}

/** Where a film's sound comes from: the clips' own, the board's soundtrack, or none. */
export interface FilmAudio {
  from: 'clips' | 'soundtrack' | 'none';
  /** Why, when there is more to it than "every clip's sound" (none at all, shots filled with silence, a soundtrack over the clips' sound). */
  why?: string;
  codec?: AudioCodec;
  /** Seconds of sound in the film. */
  durationS?: number;
  /** Shots (0-based) with no sound of their own, silent in a film that carries the clips' sound. */
  silentShots?: number[];
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
  const sound = audioPlan(probes, soundtrack);
  const frames = probes.reduce((n, p) => n + p.frames, 0);

  let copied = { pictureS: 0, audioFrameS: 0 };
  try {
    const written = await writeFileAtomically(
      outPath,
      async (temp) => {
        copied = await copyPackets(clipPaths, temp, sound, soundtrack);
      },
      (temp) => verify(temp, probes[0]!, { frames, pictureS: copied.pictureS, audio: sound.audio.from, audioFrameS: copied.audioFrameS }),
    );
    const film = written.checked.probe;
    const { audioS } = written.checked;
    return {
      path: written.path,
      bytes: written.bytes,
      sha256: written.sha256,
      durationS: film.durationS,
      frames: film.frames,
      width: film.width,
      height: film.height,
      audio: { ...sound.audio, ...(audioS !== undefined && { durationS: audioS }) },
      warnings: sound.warnings,
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
 * clip's, else undefined. `verb` is the singular and plural to join them with;
 * `shotOf` the shot of each probe, when they are not all the board's shots.
 */
function differing(
  probes: ClipProbe[],
  key: (p: ClipProbe) => string,
  verb: [string, string] = ['is', 'are'],
  shotOf: (i: number) => number = (i) => i,
): string | undefined {
  const groups = new Map<string, number[]>();
  probes.forEach((p, i) => groups.set(key(p), [...(groups.get(key(p)) ?? []), shotOf(i)]));
  if (groups.size === 1) return undefined;
  const [first, ...others] = [...groups.entries()];
  return [...others, first!].map(([k, idx]) => `${shots(idx)} ${verb[idx.length === 1 ? 0 : 1]} ${k}`).join(', ');
}

interface AudioPlan {
  audio: FilmAudio;
  /** The codec of the film's audio track, or null for none. */
  codec: AudioCodec | null;
  /** The frame that fills a shot without sound (when the film carries the clips' sound). */
  silence?: Uint8Array;
  warnings: string[];
}

/** What sound the film carries: the soundtrack's; else the clips', when those that have sound have it in one format that silence can pad where needed; else none. */
function audioPlan(probes: ClipProbe[], soundtrack: Soundtrack | undefined): AudioPlan {
  const withSound = probes.flatMap((p, i) => (p.audio ? [i] : []));
  const silent = probes.flatMap((p, i) => (p.audio ? [] : [i]));
  const has = (idx: number[]) => `${shots(idx)} ${idx.length === 1 ? 'has' : 'have'}`;
  if (soundtrack) {
    const why = withSound.length > 0 ? `The soundtrack replaces the clips' own sound (${has(withSound)} sound).` : undefined;
    return { audio: { from: 'soundtrack', codec: soundtrack.codec, ...(why && { why }) }, codec: soundtrack.codec, warnings: why ? [why] : [] };
  }
  const none = (why: string, warn = true): AudioPlan => ({
    audio: { from: 'none', why },
    codec: null,
    warnings: warn ? [`The film has no sound: ${why}.`] : [],
  });
  if (withSound.length === 0) return none('no clip has sound', false);
  const describe = (a: AudioProbe) => `${a.codec ?? 'unknown'} audio, ${a.sampleRate} Hz, ${a.channels} ch, config ${a.configSha256?.slice(0, 8) ?? '(none)'}`;
  const differs = differing(
    withSound.map((i) => probes[i]!),
    (p) => describe(p.audio!),
    ['has', 'have'],
    (i) => withSound[i]!,
  );
  if (differs) return none(`the clips' sound is not all in one format (${differs}), and sound of different formats cannot be joined without re-encoding`);
  const first = probes[withSound[0]!]!.audio!;
  if (!first.codec) return none("the clips' audio codec is not known");
  const silence = first.codec === 'aac' && first.config ? aacSilentFrame(first.config) : undefined;
  const audio: FilmAudio = { from: 'clips', codec: first.codec };
  const unpadded = `${first.codec} audio cannot be padded with silence without re-encoding`;
  if (!silence && silent.length > 0) return none(`${has(silent)} no audio track, and the others' ${unpadded}`);
  // Where a shot's sound stops short of its picture, silence keeps the next shot's sound in step; without it, it would drift.
  const short = withSound.filter((i) => probes[i]!.audio!.durationS < probes[i]!.durationS - DURATION_TOLERANCE_S);
  if (!silence && short.length > 0) return none(`${has(short)} sound shorter than ${short.length === 1 ? 'its' : 'their'} picture, and ${unpadded}`);
  if (silent.length === 0) return { audio, codec: first.codec, ...(silence && { silence }), warnings: [] };
  const why = `${capitalized(has(silent))} no sound of ${silent.length === 1 ? 'its' : 'their'} own, so the film is silent during ${silent.length === 1 ? 'it' : 'them'}; the other shots keep theirs.`;
  return { audio: { ...audio, why, silentShots: silent }, codec: first.codec, silence, warnings: [why] };
}

/**
 * Copies every clip's packets into a new MP4 at `temp`, with the sound the plan says; returns the length of the
 * picture and of the longest audio packet.
 */
async function copyPackets(
  clipPaths: string[],
  temp: string,
  plan: AudioPlan,
  soundtrack: Soundtrack | undefined,
): Promise<{ pictureS: number; audioFrameS: number }> {
  // No fast start: the index goes at the end, so nothing has to be held back in memory. Not chunked either: each
  // write goes straight to the file, where 1 MiB chunks were one more copy of the whole film, left to the GC.
  const output = new Output({ format: new Mp4OutputFormat({ fastStart: false }), target: new FilePathTarget(temp, { chunked: false }) });
  const video = new EncodedVideoPacketSource('avc');
  output.addVideoTrack(video);
  const audio = plan.codec ? new EncodedAudioPacketSource(plan.codec) : undefined;
  if (audio) output.addAudioTrack(audio);
  let offset = 0;
  const music = soundtrack ? await openSoundtrack(soundtrack.path) : undefined;
  const score = music && new SoundtrackCopy(music.track, audio!);
  const sound = audio && plan.audio.from === 'clips' ? new ClipSound(audio, await soundConfig(clipPaths, plan), plan.silence) : undefined;
  try {
    await output.start();
    for (const [i, clipPath] of clipPaths.entries()) {
      const clip = await openVideo(clipPath);
      try {
        const clipSound = sound && clip.audio ? clip.audio : undefined;
        const tracks: InputTrack[] = [clip.video, ...(clipSound ? [clipSound] : [])];
        const videoConfig = i === 0 ? await clip.video.getDecoderConfig() : null;
        const end = offset + (await clip.input.computeDuration([clip.video]));
        let firstVideo = true;
        for await (const [track, packet] of interleaved(tracks)) {
          if (track === clip.video) {
            await video.add(packet.clone({ timestamp: packet.timestamp + offset }), firstVideo && videoConfig ? { decoderConfig: videoConfig } : undefined);
            firstVideo = false;
          } else await sound!.add(packet, end);
        }
        await sound?.fill(end);
        offset = end;
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
  return { pictureS: offset, audioFrameS: score?.longestPacketS ?? sound?.longestPacketS ?? 0 };
}

/**
 * The clips' sound laid end to end, each shot's from where its picture starts: a packet goes in while it ends at most
 * half a packet past the shot's picture (the rest of a longer sound is cut), and silent frames fill a shot whose sound
 * is shorter or missing. The sound so never drifts from the picture by more than half a packet, at any cut.
 */
class ClipSound {
  private at = 0;
  longestPacketS = 0;

  constructor(
    private readonly out: EncodedAudioPacketSource,
    /** Goes with the first packet, whichever shot it comes from. */
    private readonly config: AudioConfig,
    private readonly silence: Uint8Array | undefined,
  ) {}

  /** A packet of the shot's own sound, unless it would end over half a packet past the shot's picture (`end`). */
  async add(packet: EncodedPacket, end: number): Promise<void> {
    if (this.at + packet.duration / 2 > end) return;
    await this.put(packet.data, packet.duration);
  }

  /** Silent frames up to the shot's end, where its sound stopped short or it has none. */
  async fill(end: number): Promise<void> {
    if (!this.silence) return;
    const frameS = AAC_FRAME_SAMPLES / this.config.sampleRate;
    while (this.at + frameS / 2 <= end) await this.put(this.silence, frameS);
  }

  private async put(data: Uint8Array, durationS: number): Promise<void> {
    await this.out.add(new EncodedPacket(data, 'key', this.at, durationS), this.at === 0 ? { decoderConfig: this.config } : undefined);
    this.at += durationS;
    this.longestPacketS = Math.max(this.longestPacketS, durationS);
  }
}

type AudioConfig = NonNullable<Awaited<ReturnType<InputAudioTrack['getDecoderConfig']>>>;

/** The decoder configuration of the clips' sound, read from the first clip that has sound (all are alike). */
async function soundConfig(clipPaths: string[], plan: AudioPlan): Promise<AudioConfig> {
  const shot = clipPaths.findIndex((_, i) => !plan.audio.silentShots?.includes(i));
  const clip = await openVideo(clipPaths[shot]!);
  try {
    const config = await clip.audio?.getDecoderConfig();
    if (!config) throw new KlingError('stitch_failed', `${shots([shot])}'s sound has no decoder configuration; ${KEPT}.`);
    return config;
  } finally {
    clip.input.dispose();
  }
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
 * Reads the written film back; throws stitch_failed unless it holds what was copied: the picture as long as the clips'
 * pictures; the clips' sound within one audio packet of it; a soundtrack at most one packet longer (it may end early).
 */
async function verify(
  temp: string,
  first: ClipProbe,
  want: { frames: number; pictureS: number; audio: FilmAudio['from']; audioFrameS: number },
): Promise<{ probe: ClipProbe; audioS?: number }> {
  const film = await probeClip(temp);
  const { videoS, audioS } = await trackDurations(temp);
  const over = audioS !== undefined && audioS > videoS + want.audioFrameS + 1e-6;
  const under = want.audio === 'clips' && audioS !== undefined && audioS < videoS - want.audioFrameS - 1e-6;
  const problems = [
    film.codec !== 'avc' && `its codec is ${film.codec}`,
    film.frames !== want.frames && `it has ${film.frames} frames, the clips ${want.frames}`,
    Math.abs(videoS - want.pictureS) > DURATION_TOLERANCE_S && `it lasts ${videoS.toFixed(3)} s, the clips ${want.pictureS.toFixed(3)} s`,
    (film.width !== first.width || film.height !== first.height) && `it is ${film.width}×${film.height}, the clips ${first.width}×${first.height}`,
    (want.audio !== 'none') !== (film.audio !== null) && `its sound is ${film.audio ? 'present' : 'missing'}`,
    (over || under) &&
      `its sound lasts ${audioS.toFixed(3)} s, ${over ? 'past' : 'short of'} the picture's ${videoS.toFixed(3)} s by more than one audio packet`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new KlingError('stitch_failed', `The stitched film did not check out (${problems.join('; ')}), so it was not saved; ${KEPT}.`);
  return { probe: film, ...(audioS !== undefined && { audioS }) };
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

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

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
