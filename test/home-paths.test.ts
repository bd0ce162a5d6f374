/**
 * `~` is the home folder in every local path argument (keyframes, soundtracks), under the same folder rules as an
 * absolute path; a truly relative path is refused with what to send instead. The bin over stdio, with its own HOME.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { writeSilence } from './audio.js';
import { call, image, textOf } from './helpers.js';
import { labTest } from './lab.js';

const it = labTest().extend('home', async ({ dir }) => {
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, 'frames'), { recursive: true });
  mkdirSync(path.join(home, 'music'));
  writeFileSync(path.join(home, 'frames', 'k0.png'), await image(640, 360, 'png', '#a03030'));
  writeFileSync(path.join(home, 'frames', 'k1.png'), await image(640, 360, 'png', '#30a030'));
  writeFileSync(path.join(dir, 'outside.png'), await image(640, 360));
  await writeSilence(path.join(home, 'music', 'dawn.m4a'), 'm4a', 2);
  return home;
});

describe('~ in local paths', () => {
  it('keyframes and a soundtrack under ~/ are read from the home folder; ~/.. is held to the same folders; a relative path says what to send', async ({
    spawn,
    sim,
    home,
  }) => {
    // No KLING_MCP_IMAGE_DIRS and no roots: the home folder is the one allowed folder.
    const c = await spawn({ env: { HOME: home, KLING_MCP_IMAGE_DIRS: undefined } });
    const before = sim.submissions;
    const clip = { prompt: '@Image1 to @Image2', start_image_url: '~/frames/k0.png', end_image_url: '~/frames/k1.png', wait_seconds: 0 };
    const video = await call(c.client, 'generate_video', clip);
    expect(video.isError, textOf(video)).toBeFalsy();
    const board = await call(c.client, 'generate_storyboard', {
      shots: [{ prompt: clip.prompt, start_image_url: clip.start_image_url, end_image_url: clip.end_image_url }],
      soundtrack: '~/music/dawn.m4a',
      wait_seconds: 0,
      stitch: false,
    });
    expect(board.isError, textOf(board)).toBeFalsy();
    expect(sim.submissions).toBe(before + 2);

    const outside = await call(c.client, 'generate_video', { ...clip, start_image_url: '~/../outside.png' });
    expect(outside).toBeToolError('invalid_input');
    expect(textOf(outside)).toContain(`${path.join(path.dirname(home), 'outside.png')} is outside the folders this server may read images from`);
    const track = await call(c.client, 'generate_storyboard', { shots: [{ ...clip, wait_seconds: undefined }], soundtrack: '~/../outside.m4a' });
    expect(track).toBeToolError('invalid_input');
    // A soundtrack is named as what it is, though it is held to the images' folders.
    expect(textOf(track)).toContain(
      `${path.join(path.dirname(home), 'outside.m4a')} is outside the folders this server may read audio files from: ${home} (the home folder, by default; set KLING_MCP_IMAGE_DIRS to choose others). Move the audio file into one of them`,
    );
    const missing = await call(c.client, 'generate_storyboard', { shots: [{ ...clip, wait_seconds: undefined }], soundtrack: '~/music/none.m4a' });
    expect(textOf(missing)).toContain(
      `soundtrack: ${path.join(home, 'music', 'none.m4a')}: there is no such file. Give the absolute path of an existing audio file.`,
    );

    const relative = await call(c.client, 'generate_video', { ...clip, start_image_url: 'frames/k0.png' });
    expect(relative).toBeToolError('invalid_input');
    expect(textOf(relative)).toContain(`"frames/k0.png" is a relative path`);
    expect(textOf(relative)).toContain(
      `Give an absolute path (such as ${path.join(home, 'frames', 'k0.png')}), one that starts with ~/ for your home folder (~/frames/k0.png)`,
    );
    const song = await call(c.client, 'generate_storyboard', { shots: [{ ...clip, wait_seconds: undefined }], soundtrack: 'dawn.m4a' });
    expect(textOf(song)).toContain('soundtrack: "dawn.m4a" is a relative path');
    expect(sim.submissions).toBe(before + 2);
  });

  it('~/ under KLING_MCP_IMAGE_DIRS that does not hold the home folder is refused like any path outside it', async ({ spawn, sim, home, dir }) => {
    const c = await spawn({ env: { HOME: home, KLING_MCP_IMAGE_DIRS: path.join(dir, 'elsewhere') } });
    const before = sim.submissions;
    const r = await call(c.client, 'generate_video', { prompt: 'p', start_image_url: '~/frames/k0.png', end_image_url: '~/frames/k1.png' });
    expect(r).toBeToolError('invalid_input');
    expect(textOf(r)).toContain(`${path.join(home, 'frames', 'k0.png')} is outside the folders this server may read images from`);
    expect(sim.submissions).toBe(before);
  });
});
