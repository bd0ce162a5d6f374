/**
 * A board's soundtrack, checked before anything is submitted or stitched: a
 * local file inside the allowed folders (like keyframes) or an https URL,
 * readable, at most 100 MiB, and AAC or MP3 (the codecs the film's MP4 carries
 * without re-encoding). The bytes checked are kept beside the films, so the
 * film made later is made of exactly them, without another download.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KlingError } from '../errors.js';
import { madeAsset, SOUNDTRACK_ID } from '../jobs/assets.js';
import type { SoundtrackFile } from '../ledger/records.js';
import { writeFileAtomically } from '../media/atomic-file.js';
import { ACCEPTED_SOUNDTRACKS, probeSoundtrack, type SoundtrackProbe } from '../media/soundtrack.js';
import type { FetchedImage } from '../preflight/fetch-image.js';
import { imageSourceOf } from '../preflight/image-source.js';
import { readLocalImage } from '../preflight/local-file.js';
import { formatBytes } from '../util/format.js';
import type { BoardsDeps } from './deps.js';

export const MAX_SOUNDTRACK_BYTES = 100 * 1024 * 1024;
const LABEL = 'soundtrack';

export interface CheckedSoundtrack {
  given: string;
  bytes: Buffer;
  sha256: string;
  probe: SoundtrackProbe;
}

/** What reading a soundtrack needs: where local files may come from, and whether a URL may point inside the network. */
type TrackDeps = Pick<BoardsDeps, 'sources' | 'settings' | 'ledger'>;

export async function checkSoundtrack(deps: TrackDeps, signal: AbortSignal, ref: string): Promise<CheckedSoundtrack> {
  const loaded = await load(deps, signal, ref);
  if (loaded.tooLarge) {
    throw new KlingError(
      'invalid_input',
      `${LABEL}: ${ref.slice(0, 200)} is ${loaded.bytesExact ? '' : 'over '}${formatBytes(loaded.bytes)}; a soundtrack can be at most ${MAX_SOUNDTRACK_BYTES / 1024 / 1024} MiB. Nothing was submitted.`,
    );
  }
  const probe = await probeSoundtrack(
    `${LABEL} ${ref.slice(0, 200)}`,
    new Uint8Array(loaded.buffer.buffer, loaded.buffer.byteOffset, loaded.buffer.byteLength),
  );
  return { given: ref, bytes: loaded.buffer, sha256: createHash('sha256').update(loaded.buffer).digest('hex'), probe };
}

async function load(deps: TrackDeps, signal: AbortSignal, ref: string): Promise<FetchedImage> {
  // A soundtrack this server made (generate_soundtrack): its saved file.
  if (SOUNDTRACK_ID.test(ref)) {
    const made = await madeAsset(deps.ledger, 'soundtrack', ref, LABEL);
    const buffer = await fs.readFile(made.file.path).catch(() => {
      throw new KlingError(
        'asset_not_found',
        `${LABEL}: the file of ${ref} (${made.file.path}) is gone; make it again with generate_soundtrack. Nothing was submitted.`,
      );
    });
    return { buffer, tooLarge: buffer.length > MAX_SOUNDTRACK_BYTES, bytes: buffer.length, bytesExact: true, contentType: made.file.mime };
  }
  const sources = await deps.sources();
  const source = imageSourceOf(LABEL, ref, sources.local !== undefined);
  if (source.kind === 'data') {
    throw new KlingError('invalid_input', `${LABEL}: give a file path or an https:// URL of the track, not a data: URI (${ACCEPTED_SOUNDTRACKS}).`);
  }
  if (source.kind === 'keyframe') throw new KlingError('invalid_input', `${LABEL}: ${ref} is a keyframe, not a soundtrack (${ACCEPTED_SOUNDTRACKS}).`);
  if (source.kind === 'file') return readLocalImage(LABEL, source.path, await sources.local!.resolve(), MAX_SOUNDTRACK_BYTES, 'audio');
  // Loaded on first use, like the image fetcher; a track may be far larger than an image.
  const { ImageFetcher } = await import('../preflight/fetch-image.js');
  const fetcher = new ImageFetcher({ allowPrivate: deps.settings.allowPrivateUrls, timeoutMs: 60_000 });
  return fetcher.fetch(LABEL, source.url, MAX_SOUNDTRACK_BYTES, signal);
}

/** Keeps the checked track in the output folder as `<storyboard_id>-soundtrack-<digest>.<ext>`, for the films of the cuts that use it. */
export async function keepSoundtrack(outputDir: string, track: CheckedSoundtrack, storyboardId: string): Promise<SoundtrackFile> {
  const ext = track.probe.codec === 'mp3' ? 'mp3' : /\.aac$/i.test(track.given) ? 'aac' : 'm4a';
  const out = path.join(outputDir, `${storyboardId}-soundtrack-${track.sha256.slice(0, 12)}.${ext}`);
  const written = await writeFileAtomically(out, (temp) => fs.writeFile(temp, track.bytes));
  return {
    url: track.given,
    path: written.path,
    bytes: written.bytes,
    sha256: written.sha256,
    mime: track.probe.codec === 'mp3' ? 'audio/mpeg' : ext === 'aac' ? 'audio/aac' : 'audio/mp4',
    codec: track.probe.codec,
    duration_s: track.probe.durationS,
  };
}
