import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AAC_FRAME_SAMPLES, aacConfig, aacSilentFrame, aacTrack } from '../src/media/aac.js';
import { BEAT_S, melody } from '../src/media/melody.js';
import { MP3_FRAME_SAMPLES, mp3File } from '../src/media/mp3.js';
import { encodeMp4 } from '../src/media/mp4-encode.js';
import { probeClip } from '../src/media/probe.js';
import { stitchClips } from '../src/media/stitch.js';
import { fadeClip } from '../src/simulator/clip.js';
import { decodeAudio, dominantHz, peak } from './audio-decoder.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, image, tempDir, textOf } from './helpers.js';
import { labTest } from './lab.js';

const tmp = tempDir('kling-sound-');
const test = labTest({ clock: new VirtualClock() });
afterAll(() => tmp.cleanup());

/** The notes heard on the first beats match the tune drawn from the seed (to within the coder's line spacing). */
function expectTune(samples: Float32Array, sampleRate: number, seed: string, lineHz: number, beats = 6): void {
  const note = melody(seed);
  for (let b = 0; b < beats; b++) {
    // The middle of each beat, clear of the blocks that overlap the notes on either side.
    const from = Math.round((b + 0.2) * BEAT_S * sampleRate);
    const heard = dominantHz(samples, sampleRate, from, from + Math.round(0.3 * BEAT_S * sampleRate));
    expect(Math.abs(heard - note(b)), `beat ${b}: heard ${heard} Hz, the tune's note is ${note(b).toFixed(0)} Hz`).toBeLessThanOrEqual(lineHz);
  }
}

describe('AAC-LC made in TypeScript', () => {
  it('is the same for the same seed, another tune for another', () => {
    const a = aacTrack({ seconds: 2, seed: 'a cat in the garden' });
    expect(aacTrack({ seconds: 2, seed: 'a cat in the garden' }).frames).toEqual(a.frames);
    expect(aacTrack({ seconds: 2, seed: 'a paper boat' }).frames).not.toEqual(a.frames);
    expect(a.frames).toHaveLength(Math.ceil((2 * 48_000) / AAC_FRAME_SAMPLES));
    expect(a.config).toMatchObject({ codec: 'mp4a.40.2', sampleRate: 48_000, numberOfChannels: 2 });
  });

  it('a clip with sound carries an AAC track of its length that FAAD2 plays as the tune, in both channels', async () => {
    const frame = await image(320, 180, 'png', '#808080');
    const file = path.join(tmp.dir, 'with-sound.mp4');
    writeFileSync(file, await fadeClip([frame], { durationS: 5, width: 64, soundSeed: 'seed-1' }));
    const probe = await probeClip(file);
    expect(probe.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
    expect(Math.abs(probe.audio!.durationS - 5)).toBeLessThan(AAC_FRAME_SAMPLES / 48_000);
    const sound = await decodeAudio(file);
    expect(sound.channels).toHaveLength(2);
    expect(peak(sound.channels[0]!)).toBeGreaterThan(0.1);
    expect(sound.channels[1]).toEqual(sound.channels[0]);
    expectTune(sound.channels[0]!, 48_000, 'seed-1', 48_000 / 2048 + 4);
  });

  it('a clip without sound has no audio track', async () => {
    const frame = await image(320, 180, 'png', '#808080');
    const file = path.join(tmp.dir, 'silent.mp4');
    writeFileSync(file, await fadeClip([frame], { durationS: 1, width: 64 }));
    expect((await probeClip(file)).audio).toBeNull();
  });

  it('has a silent frame for plain AAC-LC in mono and stereo, and none for what it cannot pad', async () => {
    for (const channels of [1, 2] as const) {
      const config = aacConfig(44_100, channels);
      const silent = aacSilentFrame(config.description)!;
      const { decoder } = await import('@audio/decode-aac');
      const dec = await decoder({ asc: config.description });
      const out = dec.decode(Array.from({ length: 8 }, () => silent));
      dec.free();
      expect(out.channelData).toHaveLength(channels);
      expect(out.channelData[0]!.length).toBeGreaterThan(0);
      expect(peak(out.channelData[0]!)).toBe(0);
    }
    // HE-AAC (object type 5), 960-sample frames, 5.1.
    expect(aacSilentFrame(new Uint8Array([0x2b, 0x92]))).toBeUndefined();
    expect(aacSilentFrame(new Uint8Array([0x11, 0x94]))).toBeUndefined();
    expect(aacSilentFrame(new Uint8Array([0x11, 0xb0]))).toBeUndefined();
  });
});

describe('MP3 made in TypeScript', () => {
  it.each([5, 37.5])('%s s of music: mediabunny reads an MP3 of that length, mpg123 plays the tune', async (seconds) => {
    const bytes = mp3File({ seconds, seed: 'rainy street' });
    const sound = await decodeAudio(bytes);
    expect(sound.codec).toBe('mp3');
    expect(sound.sampleRate).toBe(44_100);
    expect(sound.durationS).toBeGreaterThanOrEqual(seconds);
    expect(sound.durationS - seconds).toBeLessThan(MP3_FRAME_SAMPLES / 44_100);
    // 128 kbit/s, as ElevenLabs' mp3_standard.
    expect(bytes.length).toBeCloseTo((seconds * 128_000) / 8, -3);
    expect(peak(sound.channels[0]!)).toBeGreaterThan(0.1);
    expectTune(sound.channels[0]!, 44_100, 'rainy street', 44_100 / 1152 + 4);
  });

  it('is the same for the same seed, at the rate and bit rate asked', () => {
    expect(mp3File({ seconds: 5, seed: 'x' })).toEqual(mp3File({ seconds: 5, seed: 'x' }));
    expect(mp3File({ seconds: 5, seed: 'x' })).not.toEqual(mp3File({ seconds: 5, seed: 'y' }));
    expect(mp3File({ seconds: 6, seed: 'x', sampleRate: 48_000, kbps: 192 }).length).toBe(Math.ceil((6 * 48_000) / 1152) * 576);
  });
});

describe('films with their sound', () => {
  const frameS = AAC_FRAME_SAMPLES / 48_000;
  /** A clip of `seconds` at 4 fps; with sound, its tune drawn from `seed`. */
  async function clip(name: string, seconds: number, seed?: string): Promise<string> {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, await fadeClip([await image(320, 180, 'png', '#606060')], { durationS: seconds, width: 64, ...(seed && { soundSeed: seed }) }));
    return file;
  }
  /** The film's picture and sound lengths, as mediabunny reads them. */
  async function lengths(file: string): Promise<{ videoS: number; audioS: number }> {
    const probe = await probeClip(file);
    return { videoS: probe.frames / 4, audioS: probe.audio!.durationS };
  }
  /** The note heard just after `atS` in the decoded sound. */
  const noteAt = (samples: Float32Array, atS: number) => dominantHz(samples, 48_000, Math.round((atS + 0.1) * 48_000), Math.round((atS + 0.25) * 48_000));
  const lineHz = 48_000 / 2048 + 4;

  it("3 clips with sound: the film copies their AAC packets beside the picture, each shot's sound where its picture is", async () => {
    const shots = [await clip('s1.mp4', 5, 'one'), await clip('s2.mp4', 3, 'two'), await clip('s3.mp4', 5, 'three')];
    const out = path.join(tmp.dir, 'film-sound.mp4');
    const film = await stitchClips(shots, out);
    expect(film.audio).toMatchObject({ from: 'clips', codec: 'aac' });
    expect(film.audio.why).toBeUndefined();
    expect(film.warnings).toEqual([]);
    const { videoS, audioS } = await lengths(out);
    expect(Math.abs(audioS - 13)).toBeLessThanOrEqual(frameS);
    expect(Math.abs(videoS - 13)).toBeLessThanOrEqual(frameS);
    const sound = await decodeAudio(out);
    expect(sound.channels).toHaveLength(2);
    // Each shot's tune starts where its picture does: the first note of each seed, heard at 0, 5 and 8 s.
    for (const [atS, seed] of [
      [0, 'one'],
      [5, 'two'],
      [8, 'three'],
    ] as const) {
      expect(Math.abs(noteAt(sound.channels[0]!, atS) - melody(seed)(0)), `${seed} at ${atS} s`).toBeLessThanOrEqual(lineHz);
    }
  });

  it('a board mixing shots with and without sound: the film keeps the sound it has and is silent in the others, and says so', async () => {
    const shots = [await clip('m1.mp4', 3, 'one'), await clip('m2.mp4', 3), await clip('m3.mp4', 3, 'three'), await clip('m4.mp4', 2)];
    const out = path.join(tmp.dir, 'film-mixed.mp4');
    const film = await stitchClips(shots, out);
    expect(film.audio).toMatchObject({ from: 'clips', codec: 'aac', silentShots: [1, 3] });
    expect(film.warnings).toEqual(['Shots 2 and 4 have no sound of their own, so the film is silent during them; the other shots keep theirs.']);
    const { videoS, audioS } = await lengths(out);
    expect(Math.abs(audioS - videoS)).toBeLessThanOrEqual(frameS);
    const sound = (await decodeAudio(out)).channels[0]!;
    expect(peak(sound.subarray(Math.round(3.1 * 48_000), Math.round(5.9 * 48_000)))).toBe(0);
    expect(Math.abs(noteAt(sound, 6) - melody('three')(0))).toBeLessThanOrEqual(lineHz);
    expect(peak(sound.subarray(Math.round(9.1 * 48_000)))).toBe(0);
  });

  it("a soundtrack replaces the clips' sound, and the film says so", async () => {
    const shots = [await clip('t1.mp4', 3, 'one'), await clip('t2.mp4', 3, 'two')];
    const music = path.join(tmp.dir, 'music.mp3');
    writeFileSync(music, mp3File({ seconds: 10, seed: 'score' }));
    const out = path.join(tmp.dir, 'film-score.mp4');
    const film = await stitchClips(shots, out, { path: music, codec: 'mp3' });
    expect(film.audio).toMatchObject({ from: 'soundtrack', codec: 'mp3', durationS: expect.closeTo(6, 1) });
    expect(film.warnings).toEqual(["The soundtrack replaces the clips' own sound (shots 1–2 have sound)."]);
    const sound = await decodeAudio(out);
    expect(sound.codec).toBe('mp3');
    expect(Math.abs(dominantHz(sound.channels[0]!, 44_100, 4410, 8820) - melody('score')(0))).toBeLessThanOrEqual(44_100 / 1152 + 4);
  });

  it('sound in different formats cannot be joined: the film is silent and names the shots', async () => {
    const odd = path.join(tmp.dir, 'odd.mp4');
    const gray = new Uint8Array(64 * 36 * 3).fill(96);
    writeFileSync(
      odd,
      await encodeMp4([gray, gray, gray, gray], { width: 64, height: 36, fps: 4, audio: aacTrack({ seconds: 1, seed: 'x', sampleRate: 44_100, channels: 1 }) }),
    );
    const shots = [await clip('d1.mp4', 1, 'one'), odd];
    const film = await stitchClips(shots, path.join(tmp.dir, 'film-differ.mp4'));
    expect(film.audio.from).toBe('none');
    expect(film.warnings[0]).toMatch(
      /^The film has no sound: the clips' sound is not all in one format \(shot 2 has aac audio, 44100 Hz, 1 ch.*, shot 1 has aac audio, 48000 Hz, 2 ch/,
    );
  });
});

describe('an engine with sound, through a real client', () => {
  test('a Kling 3.0 Pro clip with sound is saved with its AAC track, as long as its picture; without sound it has none', async ({ shared, frames }) => {
    const clip = { prompt: 'rain on a tin roof', start_image_url: frames.start, end_image_url: frames.end, model: 'kling-3.0-pro-image-to-video', duration: 4 };
    const loud = await call(shared.client, 'generate_video', { ...clip, sound: true });
    expect(loud.isError, textOf(loud)).toBeFalsy();
    const saved = loud.structuredContent!.files![0]!.path;
    const probe = await probeClip(saved);
    expect(probe.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
    expect(Math.abs(probe.audio!.durationS - probe.frames / 4)).toBeLessThanOrEqual(AAC_FRAME_SAMPLES / 48_000);
    expect(peak((await decodeAudio(saved)).channels[0]!)).toBeGreaterThan(0.1);

    const quiet = await call(shared.client, 'generate_video', { ...clip, sound: false });
    expect((await probeClip(quiet.structuredContent!.files![0]!.path)).audio).toBeNull();
  });
});
