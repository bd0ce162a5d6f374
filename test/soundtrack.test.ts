/** Soundtracks: AAC and MP3 muxed into a board's film without re-encoding, read back with mediabunny; anything else refused up front. */
import { closeSync, mkdirSync, openSync, ftruncateSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_FORMATS, FilePathSource, Input } from 'mediabunny';
import { describe, expect } from 'vitest';
import type { RunComfySimulator } from '../src/simulator/simulator.js';
import { writeSilence } from './audio.js';
import { VirtualClock } from '../src/util/clock.js';
import { call, connectInMemory, image, simEnv, textOf, type Connected } from './helpers.js';
import { labTest } from './lab.js';

/** What a film holds, per track, as mediabunny reads it back. */
async function tracks(file: string) {
  const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
  try {
    const all = await input.getTracks();
    const video = all.filter((t) => t.isVideoTrack());
    const audio = all.filter((t) => t.isAudioTrack());
    return {
      video: video.length,
      audio: audio.length,
      videoS: await input.computeDuration(video),
      audioS: audio.length > 0 ? await input.computeDuration(audio) : 0,
      codec: audio[0] ? await audio[0].getCodec() : null,
    };
  } finally {
    input.dispose();
  }
}

/** The keyframes' URLs and the folder soundtracks are written to (an allowed image and audio folder of the server). */
interface Rig {
  c: Connected;
  sim: RunComfySimulator;
  music: string;
  outside: string;
  shots: () => { prompt: string; start_image_url: string; end_image_url: string }[];
}

/** In memory, on a virtual clock the simulator shares: the boards' clips render in no real time. */
const it = labTest({ clock: new VirtualClock() }).extend('rig', { scope: 'file' }, async ({ lab, sim, sharedDir }, { onCleanup }): Promise<Rig> => {
  const music = path.join(sharedDir, 'music');
  mkdirSync(music);
  const c = await connectInMemory(simEnv(sim, sharedDir, { KLING_MCP_IMAGE_DIRS: music, KLING_MCP_LOCAL_IMAGES: '1' }), lab.clock);
  onCleanup(c.close);
  const k = await Promise.all(
    ['#aa3030', '#30aa30', '#3030aa'].map(async (color, i) => sim.host(`s${i}.png`, await image(640, 360, 'png', color), 'image/png')),
  );
  const shots = () => [
    { prompt: 'one', start_image_url: k[0]!, end_image_url: k[1]! },
    { prompt: 'two', start_image_url: k[1]!, end_image_url: k[2]! },
  ];
  return { c, sim, music, outside: sharedDir, shots };
});

describe('a soundtrack for the film', () => {
  it('a 3 s AAC track (.m4a, a local file): the film has one video and one audio track, the sound ends early', async ({ rig: { c, music, shots } }) => {
    const file = path.join(music, 'short.m4a');
    const seconds = await writeSilence(file, 'm4a', 3);
    const r = await call(c.client, 'generate_storyboard', { shots: shots(), soundtrack: file });
    expect(r.isError, textOf(r)).toBeFalsy();
    const film = r.structuredContent!.film!;
    const t = await tracks(film.path);
    expect(t).toMatchObject({ video: 1, audio: 1, codec: 'aac' });
    expect(t.videoS).toBeCloseTo(10, 1);
    expect(t.audioS).toBeCloseTo(seconds, 2);
    expect(film.sound).toMatchObject({ codec: 'aac', duration_s: expect.closeTo(seconds, 2) });
    expect(textOf(r)).toMatch(/with sound: the AAC soundtrack, 3\.0 s of it/);
  });

  it('a 30 s MP3 track by https URL, on a re-cut: cut at the film’s end (within one audio frame), no clip rendered again', async ({
    rig: { c, sim, music, shots },
  }) => {
    const first = await call(c.client, 'generate_storyboard', { shots: shots() });
    const id = first.structuredContent!.storyboard_id;
    const file = path.join(music, 'long.mp3');
    await writeSilence(file, 'mp3', 30);
    const url = sim.host('long.mp3', readFileSync(file), 'audio/mpeg');
    const before = sim.submissions;
    const r = await call(c.client, 'revise_storyboard', { storyboard_id: id, shots: shots().reverse(), soundtrack: url });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(sim.submissions).toBe(before);
    const t = await tracks(r.structuredContent!.film!.path);
    expect(t).toMatchObject({ video: 1, audio: 1, codec: 'mp3' });
    expect(t.videoS).toBeCloseTo(10, 1);
    expect(t.audioS).toBeGreaterThanOrEqual(t.videoS - 1e-6);
    expect(t.audioS).toBeLessThanOrEqual(t.videoS + 1152 / 44_100 + 1e-6);
    // The first cut's film stays silent.
    expect((await tracks(first.structuredContent!.film!.path)).audio).toBe(0);
  });

  it('an ADTS .aac track is accepted too', async ({ rig: { c, music, shots } }) => {
    const file = path.join(music, 'track.aac');
    await writeSilence(file, 'aac', 4);
    const r = await call(c.client, 'generate_storyboard', { shots: shots().slice(0, 1), soundtrack: `file://${file}` });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(await tracks(r.structuredContent!.film!.path)).toMatchObject({ video: 1, audio: 1, codec: 'aac', audioS: expect.closeTo(4, 1) });
  });

  const refused: [string, (rig: Rig) => Promise<string>, RegExp][] = [
    ['a WAV file', async ({ music }) => (await writeSilence(path.join(music, 'a.wav'), 'wav', 1), path.join(music, 'a.wav')), /its audio is pcm-s16/],
    ['an Ogg Opus file', async ({ music }) => (await writeSilence(path.join(music, 'a.opus'), 'opus', 1), path.join(music, 'a.opus')), /its audio is opus/],
    [
      'a FLAC file',
      async ({ music }) => {
        writeFileSync(path.join(music, 'a.flac'), Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(64)]));
        return path.join(music, 'a.flac');
      },
      /not an audio file this server can read|its audio is flac/,
    ],
    [
      'a text file named .m4a',
      async ({ music }) => {
        writeFileSync(path.join(music, 'notes.m4a'), 'not music at all\n');
        return path.join(music, 'notes.m4a');
      },
      /not an audio file this server can read/,
    ],
    [
      'a video without audio',
      async ({ c, music, shots }) => {
        const film = (await call(c.client, 'generate_storyboard', { shots: shots().slice(0, 1) })).structuredContent!.film!.path;
        const copy = path.join(music, 'silent.mp4');
        writeFileSync(copy, readFileSync(film));
        return copy;
      },
      /file without an audio track/,
    ],
    [
      'a file over 100 MiB',
      async ({ music }) => {
        const big = path.join(music, 'big.mp3');
        const fd = openSync(big, 'w');
        ftruncateSync(fd, 101 * 1024 * 1024);
        closeSync(fd);
        return big;
      },
      /is 101\.00 MiB; a soundtrack can be at most 100 MiB/,
    ],
    ['a file outside the allowed folders', async ({ outside }) => path.join(outside, 'elsewhere.m4a'), /outside the folders/],
  ];

  it.for(refused)('%s is refused before anything is submitted, naming what is accepted', async ([, make, why], { rig }) => {
    const { c, sim, shots } = rig;
    const soundtrack = await make(rig);
    const before = sim.submissions;
    const r = await call(c.client, 'generate_storyboard', { shots: shots(), soundtrack });
    expect(r).toBeToolError('invalid_input');
    expect(textOf(r)).toMatch(why);
    if (!/outside/.test(why.source)) expect(textOf(r)).toMatch(/AAC \(\.m4a, \.mp4 or \.aac\) or MP3|at most/);
    expect(sim.submissions).toBe(before);
  });
});
