import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AAC_FRAME_SAMPLES, aacConfig, aacSilentFrame, aacTrack } from '../src/media/aac.js';
import { BEAT_S, melody } from '../src/media/melody.js';
import { MP3_FRAME_SAMPLES, mp3File } from '../src/media/mp3.js';
import { probeClip } from '../src/media/probe.js';
import { fadeClip } from '../src/simulator/clip.js';
import { decodeAudio, dominantHz, peak } from './audio-decoder.js';
import { image, tempDir } from './helpers.js';

const tmp = tempDir('kling-sound-');
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
