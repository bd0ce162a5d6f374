/**
 * The film of the board's current cut: its completed clips joined in shot
 * order without re-encoding, with the cut's soundtrack muxed in, into a file
 * of its own (a later cut never overwrites an earlier one's). A film already
 * made from the same clips is kept. Clips that cannot be joined are reported
 * (and kept); no broken film is ever left. Needs no network.
 */
import path from 'node:path';
import { isKlingError } from '../errors.js';
import { atCut, type BoardRecord, type FilmFile } from '../ledger/records.js';
import type { FilmAudio } from '../media/stitch.js';
import type { BoardsDeps } from './deps.js';
import type { BoardProgress } from './progress.js';
import { cutFileName, standing, storyboardUri } from './show.js';

export async function stitchFilm(deps: Pick<BoardsDeps, 'ledger' | 'clock' | 'settings'>, given: BoardRecord, progress: BoardProgress): Promise<void> {
  const { ledger } = deps;
  // As the ledger has it now: another call may have made this cut's film meanwhile.
  const board = atCut((await ledger.board(given.storyboard_id)) ?? given, given.cut);
  const shots = await standing(ledger, board);
  if (!shots.every((s) => s.phase === 'completed')) return;
  const clips = shots.map((s) => s.job!.files.find((f) => f.mime.startsWith('video/')));
  if (clips.some((c) => !c)) return;
  const shas = clips.map((c) => c!.sha256);
  if (board.film && board.film.clips.join() === shas.join()) return;
  progress.finishing('stitching', 'stitching the film');
  const out = path.join(deps.settings.outputDir, cutFileName(board, 'mp4'));
  const record = <T extends 'film' | 'film_error'>(t: T, fields: Parameters<typeof ledger.record<T>>[2]) =>
    ledger.record(t, board.storyboard_id, fields, deps.clock.now());
  try {
    // Loaded on first use: the media code (mediabunny) stays off the server's start-up path.
    const { stitchClips } = await import('../media/stitch.js');
    const track = board.soundtrack;
    const film = await stitchClips(
      clips.map((c) => c!.path),
      out,
      track && { path: track.path, codec: track.codec },
    );
    await record('film', {
      cut: board.cut,
      film: {
        url: storyboardUri(board.storyboard_id),
        path: film.path,
        bytes: film.bytes,
        sha256: film.sha256,
        mime: 'video/mp4',
        duration_s: film.durationS,
        frames: film.frames,
        clips: shas,
        ...(film.warnings.length > 0 && { notes: film.warnings }),
        ...(track && film.audio.durationS !== undefined && { sound: { codec: track.codec, duration_s: film.audio.durationS, sha256: track.sha256 } }),
        audio: filmAudio(film.audio),
      },
    });
  } catch (err) {
    if (!isKlingError(err) || err.code === 'aborted') throw err;
    await record('film_error', { cut: board.cut, message: err.message });
  }
}

/** The film's sound as the ledger keeps it (shots 1-based, as the board shows them). */
function filmAudio(a: FilmAudio): NonNullable<FilmFile['audio']> {
  return {
    from: a.from,
    ...(a.why && { why: a.why }),
    ...(a.codec && { codec: a.codec }),
    ...(a.durationS !== undefined && { duration_s: a.durationS }),
    ...(a.silentShots && { silent_shots: a.silentShots.map((i) => i + 1) }),
  };
}
