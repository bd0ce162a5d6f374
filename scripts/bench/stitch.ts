/** Bench child: stitches the clips argv[3…] into the film argv[2] (their sound too); prints the time and peak RSS. */
import { stitchClips } from '../../src/media/stitch.js';

const [out, ...clips] = process.argv.slice(2);
const before = process.resourceUsage().maxRSS / 1024;
const t0 = performance.now();
const film = await stitchClips(clips, out!);
const ms = performance.now() - t0;
process.stdout.write(
  JSON.stringify({
    ms,
    durationS: film.durationS,
    audioS: film.audio.durationS ?? 0,
    bytes: film.bytes,
    rssBeforeMb: before,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
process.exit(0);
