import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ALL_FORMATS,
  BufferSource,
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedPacketSink,
  EncodedVideoPacketSource,
  FilePathSource,
  FilePathTarget,
  Input,
  Mp4OutputFormat,
  Output,
} from 'mediabunny';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKlingError } from '../src/errors.js';
import { contactSheet } from '../src/media/contact-sheet.js';
import { PcmH264Encoder } from '../src/media/h264-pcm.js';
import { probeClip } from '../src/media/probe.js';
import { stitchClips } from '../src/media/stitch.js';
import { fadeClip } from '../src/simulator/clip.js';
import { image, tempDir } from './helpers.js';
import { decodePcmClip, rgbDistance } from './pcm-decoder.js';

const RED = '#d04040';
const GREEN = '#40d040';
const BLUE = '#4040d0';
const WHITE = '#f0f0f0';

const tmp = tempDir('kling-media-');
afterAll(() => tmp.cleanup());

/** Solid RGB of one colour, as the decoder returns it. */
async function solid(color: string, width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } })
    .raw()
    .toBuffer();
}

async function clipFile(name: string, from: string, to: string, spec: { durationS: number; w?: number; h?: number; fps?: number }): Promise<string> {
  const file = path.join(tmp.dir, name);
  writeFileSync(
    file,
    await fadeClip([await image(spec.w ?? 640, spec.h ?? 360, 'png', from), await image(spec.w ?? 640, spec.h ?? 360, 'png', to)], {
      durationS: spec.durationS,
      width: 64,
      fps: spec.fps,
    }),
  );
  return file;
}

/** Re-muxes a clip with a mono 16-bit PCM track of its length, less `shortS` (mediabunny muxes PCM without an encoder). */
async function withSound(clip: string, name: string, sampleRate: number, shortS = 0): Promise<string> {
  const file = path.join(tmp.dir, name);
  const input = new Input({ source: new FilePathSource(clip), formats: ALL_FORMATS });
  const track = (await input.getPrimaryVideoTrack())!;
  const output = new Output({ format: new Mp4OutputFormat(), target: new FilePathTarget(file) });
  const video = new EncodedVideoPacketSource('avc');
  const audio = new EncodedAudioPacketSource('pcm-s16');
  output.addVideoTrack(video);
  output.addAudioTrack(audio);
  await output.start();
  const config = (await track.getDecoderConfig())!;
  let first = true;
  for await (const p of new EncodedPacketSink(track).packets()) {
    await video.add(p, first ? { decoderConfig: config } : undefined);
    first = false;
  }
  const seconds = await track.computeDuration();
  const perPacket = sampleRate / 10;
  for (let i = 0; i < (seconds - shortS) * 10; i++) {
    await audio.add(
      new EncodedPacket(new Uint8Array(perPacket * 2), 'key', i / 10, 0.1),
      i === 0 ? { decoderConfig: { codec: 'pcm-s16', sampleRate, numberOfChannels: 1 } } : undefined,
    );
  }
  await output.finalize();
  input.dispose();
  return file;
}

function leftovers(): string[] {
  return readdirSync(tmp.dir).filter((f) => f.includes('.part-'));
}

async function expectRefusal(run: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKlingError(err), String(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

describe('H.264 encoder and simulator clips', () => {
  it('a crossfade clip is an H.264 MP4 mediabunny reads: codec, size, duration, frame count', async () => {
    const bytes = await fadeClip([await image(640, 360, 'png', RED), await image(640, 360, 'png', GREEN)], { durationS: 5, width: 64 });
    const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
    const track = (await input.getPrimaryVideoTrack())!;
    expect(await track.getCodec()).toBe('avc');
    expect(await track.getCodecParameterString()).toMatch(/^avc1\.42c0[0-9a-f]{2}$/i);
    expect([await track.getCodedWidth(), await track.getCodedHeight()]).toEqual([64, 36]);
    expect(await track.computeDuration()).toBeCloseTo(5, 3);
    expect((await track.computePacketStats()).packetCount).toBe(20);
    input.dispose();
  });

  it('decodes back to the start frame first and the end frame last, with a key frame every 2 s', async () => {
    const bytes = await fadeClip([await image(640, 360, 'png', RED), await image(640, 360, 'png', GREEN)], { durationS: 5, width: 64 });
    const clip = await decodePcmClip(bytes);
    expect([clip.width, clip.height, clip.frames.length]).toEqual([64, 36, 20]);
    expect(rgbDistance(clip.frames[0]!, await solid(RED, 64, 36))).toBeLessThan(2);
    expect(rgbDistance(clip.frames[19]!, await solid(GREEN, 64, 36))).toBeLessThan(2);
    expect(rgbDistance(clip.frames[10]!, await solid(RED, 64, 36))).toBeGreaterThan(20);
    expect(clip.keyFrames).toEqual([0, 8, 16]);
  });

  it('the size follows the start frame: 4:3 keyframes give a 64×48 clip (cropped from whole macroblocks)', async () => {
    const clip = await decodePcmClip(await fadeClip([await image(640, 480, 'png', BLUE), await image(640, 480, 'png', WHITE)], { durationS: 5, width: 64 }));
    expect([clip.width, clip.height]).toEqual([64, 48]);
    const odd = await decodePcmClip(
      await fadeClip([await image(300, 200, 'png', BLUE), await image(300, 200, 'png', WHITE)], { durationS: 5, width: 50, fps: 2 }),
    );
    expect([odd.width, odd.height, odd.frames.length]).toEqual([50, 34, 10]);
    expect(rgbDistance(odd.frames[0]!, await solid(BLUE, 50, 34))).toBeLessThan(2);
  });

  it('refuses sizes 4:2:0 cannot represent', () => {
    expect(() => new PcmH264Encoder(63, 36, 4)).toThrow(/even/);
    expect(() => new PcmH264Encoder(64, 36, 0)).toThrow(/fps/);
  });
});

describe('stitchClips', () => {
  let shots: string[];
  beforeAll(async () => {
    shots = [
      await clipFile('a.mp4', RED, GREEN, { durationS: 5 }),
      await clipFile('b.mp4', GREEN, BLUE, { durationS: 10 }),
      await clipFile('c.mp4', BLUE, WHITE, { durationS: 5 }),
    ];
  });

  it('joins 3 clips in order without re-encoding: duration and frames are the sums, the bytes hash as reported', async () => {
    const out = path.join(tmp.dir, 'film.mp4');
    const film = await stitchClips(shots, out);
    const probes = await Promise.all(shots.map(probeClip));
    expect(Math.abs(film.durationS - probes.reduce((s, p) => s + p.durationS, 0))).toBeLessThanOrEqual(0.1);
    expect(film.frames).toBe(probes.reduce((s, p) => s + p.frames, 0));
    expect(film).toMatchObject({ path: out, width: 64, height: 36, frames: 80, audio: { from: 'none', why: 'no clip has sound' }, warnings: [] });
    const bytes = readFileSync(out);
    expect(film.bytes).toBe(bytes.length);
    expect(film.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const back = await probeClip(out);
    expect(back).toMatchObject({ codec: 'avc', frames: 80, width: 64, height: 36, avcCSha256: probes[0]!.avcCSha256 });
    expect(back.durationS).toBeCloseTo(20, 1);

    const decoded = await decodePcmClip(out);
    expect(decoded.keyFrames.slice(0, 4)).toEqual([0, 8, 16, 20]); // each clip still starts on its IDR
    for (const [frame, color] of [
      [0, RED],
      [19, GREEN],
      [20, GREEN],
      [59, BLUE],
      [60, BLUE],
      [79, WHITE],
    ] as const) {
      expect(rgbDistance(decoded.frames[frame]!, await solid(color, 64, 36)), `frame ${frame}`).toBeLessThan(2);
    }
    expect(leftovers()).toEqual([]);
  });

  it('refuses clips of different sizes, naming the shots; writes nothing and keeps the clips', async () => {
    const square = await clipFile('square.mp4', RED, BLUE, { durationS: 5, w: 640, h: 480 });
    const out = path.join(tmp.dir, 'sizes.mp4');
    await expectRefusal(
      stitchClips([shots[0]!, shots[1]!, square, shots[2]!], out),
      'stitch_mismatch',
      /^shot 3 is 64×48, shots 1–2 and 4 are 64×36; clips of different sizes cannot be joined without re-encoding; the clips are kept\.$/,
    );
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
    expect([...shots, square].every((f) => existsSync(f))).toBe(true);
  });

  it('refuses clips whose H.264 parameter sets differ', async () => {
    const fast = await clipFile('fast.mp4', RED, BLUE, { durationS: 5, fps: 30 }); // a higher level in the SPS
    const out = path.join(tmp.dir, 'params.mp4');
    await expectRefusal(
      stitchClips([shots[0]!, fast], out),
      'stitch_mismatch',
      /^shot 2 is encoded as avc1\.\w+ with parameter sets \w+, shot 1 is encoded as .*parameter sets \(avcC\) cannot be joined/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('names an unreadable clip, leaves an earlier film under the final name untouched', async () => {
    const out = path.join(tmp.dir, 'kept.mp4');
    writeFileSync(out, 'earlier film');
    const junk = path.join(tmp.dir, 'junk.mp4');
    writeFileSync(junk, 'not a video');
    await expectRefusal(stitchClips([shots[0]!, junk], out), 'stitch_failed', /^shot 2: .*junk\.mp4 cannot be read as a video/);
    expect(readFileSync(out, 'utf8')).toBe('earlier film');
    expect(leftovers()).toEqual([]);
  });

  it('copies sound when every clip has the same audio; drops it with a warning when it cannot be joined or padded', async () => {
    const [a, b] = [await withSound(shots[0]!, 'a-sound.mp4', 8000), await withSound(shots[1]!, 'b-sound.mp4', 8000)];
    const both = await stitchClips([a, b], path.join(tmp.dir, 'sound.mp4'));
    expect(both).toMatchObject({ audio: { from: 'clips', codec: 'pcm-s16', durationS: expect.closeTo(15, 1) }, warnings: [], frames: 60 });
    expect(both.durationS).toBeCloseTo(15, 1);
    expect((await probeClip(both.path)).audio).toMatchObject({ codec: 'pcm-s16', sampleRate: 8000, channels: 1 });

    const mixed = await stitchClips([a, shots[1]!, shots[2]!], path.join(tmp.dir, 'mixed.mp4'));
    expect(mixed).toMatchObject({
      audio: { from: 'none' },
      warnings: ["The film has no sound: shots 2–3 have no audio track, and the others' pcm-s16 audio cannot be padded with silence without re-encoding."],
      frames: 80,
    });
    expect((await probeClip(mixed.path)).audio).toBeNull();

    // PCM cannot be padded here: a shot whose sound stops short would put the next shots' sound out of step.
    const short = await withSound(shots[1]!, 'b-short.mp4', 8000, 0.5);
    const drift = await stitchClips([short, a], path.join(tmp.dir, 'drift.mp4'));
    expect(drift.audio.from).toBe('none');
    expect(drift.warnings).toEqual([
      'The film has no sound: shot 1 has sound shorter than its picture, and pcm-s16 audio cannot be padded with silence without re-encoding.',
    ]);

    const other = await withSound(shots[2]!, 'c-sound.mp4', 16000);
    const differ = await stitchClips([a, other], path.join(tmp.dir, 'differ.mp4'));
    expect(differ.audio.from).toBe('none');
    expect(differ.warnings[0]).toMatch(
      /^The film has no sound: the clips' sound is not all in one format \(shot 2 has pcm-s16 audio, 16000 Hz.*, shot 1 has pcm-s16 audio, 8000 Hz.*\), and sound of different formats cannot be joined without re-encoding\.$/,
    );
  });
});

describe('contactSheet', () => {
  it('lays the keyframes out in a grid that wraps, labelled, as PNG', async () => {
    const frames = await Promise.all([RED, GREEN, BLUE, WHITE, RED].map(async (c, i) => ({ image: await image(640, 360, 'png', c), label: String(i + 1) })));
    const out = path.join(tmp.dir, 'board.png');
    const sheet = await contactSheet(frames, out, { thumbWidth: 160, columns: 4 });
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([sheet.width, sheet.height]);
    // 4 columns of 160 px thumbnails with 16 px gaps; 2 rows of 90 px thumbnails, label strip and gaps.
    expect(sheet.width).toBe(16 + 4 * (160 + 16));
    expect(sheet.height).toBe(16 + 2 * (90 + 8 + 32 + 16));
    expect(sheet.sha256).toBe(createHash('sha256').update(readFileSync(out)).digest('hex'));
    // The label under the fifth thumbnail is drawn: light pixels in the dark strip below it.
    const strip = await sharp(out)
      .extract({ left: 16, top: 16 + 146 + 90 + 8, width: 160, height: 32 })
      .raw()
      .toBuffer();
    expect(strip.some((v) => v > 200)).toBe(true);
  });

  it('refuses labels it cannot draw and empty boards', async () => {
    const frame = { image: await image(64, 36), label: 'A' };
    await expect(contactSheet([frame], path.join(tmp.dir, 'x.png'))).rejects.toThrow(/cannot draw "A"/);
    await expect(contactSheet([], path.join(tmp.dir, 'y.png'))).rejects.toThrow(/at least one/);
  });
});
