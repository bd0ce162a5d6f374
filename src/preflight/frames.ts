/**
 * The check every frame passes before anything is paid for. Each distinct
 * reference is loaded and inspected once, however many frames use it, in
 * parallel but at most MAX_CONCURRENT_IMAGE_CHECKS at a time in this process,
 * so a hundred concurrent calls hold a handful of images, not two hundred.
 * All or nothing: every problem of every frame is reported in one error.
 */
import { createHash } from 'node:crypto';
import { KlingError, isKlingError } from '../errors.js';
import { MAX_IMAGE_BYTES } from '../model/kling-o1.js';
import { Semaphore } from '../util/semaphore.js';
import type { AllowedFolders, ResolvedFolders } from './allowed-folders.js';
import type { FetchedImage, ImageFetcher } from './fetch-image.js';
import { decodeDataUri, imageSourceOf, type ImageSource } from './image-source.js';
import { inspectImage, type ImageReport } from './inspect-image.js';
import { readLocalImage } from './local-file.js';

export const MAX_CONCURRENT_IMAGE_CHECKS = 6;
const imageChecks = new Semaphore(MAX_CONCURRENT_IMAGE_CHECKS);

export interface Frame {
  /** Names the frame in messages, e.g. "start_image_url" or "shot 3 end_image_url". */
  label: string;
  /** What the caller gave: an https:// URL, an absolute path, a file:// URL or a data: URI. */
  ref: string;
}

export interface CheckedFrame {
  /** What to submit: the URL as given, or a data: URI of the exact bytes checked. */
  send: string;
  /** What the ledger keeps: the URL, the file path, or "data:<mime>;sha256=<hex>"; never base64. */
  record: string;
  /** Of the bytes checked (for a URL, of what it served during the check). */
  sha256: string;
  report: ImageReport;
}

export interface ImageSources {
  fetcher: ImageFetcher;
  /** Where local files may be read from; absent when local images are turned off. */
  local?: AllowedFolders;
}

/** Checks every distinct ref once; returns the results by ref, or throws one KlingError naming every problem. */
export async function checkFrames(
  frames: readonly Frame[],
  sources: ImageSources,
  signal?: AbortSignal,
  /** Sees each image that passed, while its bytes are still held (a storyboard makes its thumbnails here). */
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<Map<string, CheckedFrame>> {
  const labels = new Map<string, string[]>();
  for (const { label, ref } of frames) labels.set(ref, [...(labels.get(ref) ?? []), label]);
  let folders: Promise<ResolvedFolders> | undefined;
  const load = (label: string, source: ImageSource): Promise<FetchedImage> => {
    switch (source.kind) {
      case 'url':
        return sources.fetcher.fetch(label, source.url, signal);
      case 'data':
        return Promise.resolve(decodeDataUri(source, MAX_IMAGE_BYTES));
      case 'file':
        // Resolved once per call, and only when a file is among the frames.
        folders ??= sources.local!.resolve();
        return folders.then(
          (f) => readLocalImage(label, source.path, f, MAX_IMAGE_BYTES),
          (err: unknown) => {
            throw new KlingError(
              'invalid_input',
              `${label}: could not read the client's roots, so no local file can be checked against them (${(err as Error).message}). Try again, or set KLING_MCP_IMAGE_DIRS.`,
            );
          },
        );
    }
  };
  const refs = [...labels.keys()];
  const outcomes = await Promise.allSettled(
    refs.map((ref) => imageChecks.run(() => checkOne(labels.get(ref)!.join(', '), ref, sources, load, onImage), signal)),
  );
  const problems: KlingError[] = [];
  const checked = new Map<string, CheckedFrame>();
  outcomes.forEach((o, i) => {
    if (o.status === 'rejected') {
      if (!isKlingError(o.reason)) throw o.reason;
      problems.push(o.reason);
    } else if ('problems' in o.value) {
      for (const p of o.value.problems) problems.push(new KlingError('image_rejected', p));
    } else {
      checked.set(refs[i]!, o.value);
    }
  });
  const aborted = problems.find((p) => p.code === 'aborted');
  if (aborted) throw aborted;
  if (problems.length > 0) {
    const codes = new Set(problems.map((p) => p.code));
    const code = codes.size === 1 ? problems[0]!.code : 'image_rejected';
    throw new KlingError(code, `${problems.map((p) => p.message).join('\n')}\nNothing was submitted; fix the image(s) and call again.`);
  }
  return checked;
}

async function checkOne(
  label: string,
  ref: string,
  sources: ImageSources,
  load: (label: string, source: ImageSource) => Promise<FetchedImage>,
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<CheckedFrame | { problems: string[] }> {
  const source = imageSourceOf(label, ref, sources.local !== undefined);
  const loaded = await load(label, source);
  const inspection = await inspectImage(label, loaded, source);
  if (!inspection.ok) return { problems: inspection.problems };
  const { report } = inspection;
  const sha256 = createHash('sha256').update(loaded.buffer).digest('hex');
  await onImage?.(loaded.buffer, sha256);
  switch (source.kind) {
    case 'url':
      return { send: ref, record: ref, sha256, report };
    case 'file':
      return { send: dataUri(report.mime, loaded.buffer), record: source.path, sha256, report };
    case 'data':
      return { send: dataUri(report.mime, loaded.buffer), record: `data:${report.mime};sha256=${sha256}`, sha256, report };
  }
}

/** The exact bytes, typed by what they are (not by what a name or a data: header claimed). */
function dataUri(mime: string, bytes: Buffer): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}
