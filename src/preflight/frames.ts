/**
 * The check every frame passes before anything is paid for, against what its
 * model's field accepts. Each distinct reference is loaded once, however many
 * frames use it, and judged once by each field spec among them, in
 * parallel but at most MAX_CONCURRENT_IMAGE_CHECKS at a time in this process,
 * so a hundred concurrent calls hold a handful of images, not two hundred.
 * All or nothing: every problem of every frame is reported in one error.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { KlingError, isKlingError } from '../errors.js';
import { UnknownImageRuleError, sizeCap } from '../models/image-rules.js';
import type { ImageSpec } from '../models/model.js';
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
  /** What the model's field accepts: its file types and image rules. */
  spec: ImageSpec;
}

/** A keyframe this server made, as pre-flight needs it: its saved file, and RunComfy's URL of it. */
export interface KeyframeImage {
  path: string;
  url?: string;
}

export interface CheckedFrame {
  /** What to submit: the URL as given, or a data: URI of the exact bytes checked. */
  send: string;
  /** What the ledger keeps: the URL, the file path, or "data:<mime>;sha256=<hex>"; never base64. */
  record: string;
  /** Of the bytes checked (for a URL, of what it served during the check). */
  sha256: string;
  report: ImageReport;
  /** What was done to make it fit (a keyframe sent as a conforming copy), said in the answer. */
  note?: string;
}

export interface ImageSources {
  fetcher: ImageFetcher;
  /** Where local files may be read from; absent when local images are turned off. */
  local?: AllowedFolders;
  /** A keyframe by its id (kf-…); throws `asset_not_found` for one that does not exist or failed. */
  keyframe?: (id: string) => Promise<KeyframeImage>;
}

/** Checks every distinct ref once; returns the results by ref, or throws one KlingError naming every problem. */
export async function checkFrames(
  frames: readonly Frame[],
  sources: ImageSources,
  signal?: AbortSignal,
  /** Sees each image that passed, while its bytes are still held (a storyboard makes its thumbnails here). */
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<Map<string, CheckedFrame>> {
  const uses = new Map<string, Frame[]>();
  for (const frame of frames) uses.set(frame.ref, [...(uses.get(frame.ref) ?? []), frame]);
  let folders: Promise<ResolvedFolders> | undefined;
  const load = (label: string, source: ImageSource, maxBytes: number): Promise<FetchedImage> => {
    switch (source.kind) {
      case 'url':
        return sources.fetcher.fetch(label, source.url, maxBytes, signal);
      case 'data':
        return Promise.resolve(decodeDataUri(source, maxBytes));
      case 'keyframe':
        throw new Error('a keyframe is loaded by checkKeyframe');
      case 'file':
        // Resolved once per call, and only when a file is among the frames.
        folders ??= sources.local!.resolve();
        return folders.then(
          (f) => readLocalImage(label, source.path, f, maxBytes),
          (err: unknown) => {
            throw new KlingError(
              'invalid_input',
              `${label}: could not read the client's roots, so no local file can be checked against them (${(err as Error).message}). Try again, or set KLING_MCP_IMAGE_DIRS.`,
            );
          },
        );
    }
  };
  const refs = [...uses.keys()];
  const outcomes = await Promise.allSettled(refs.map((ref) => imageChecks.run(() => checkOne(ref, uses.get(ref)!, sources, signal, load, onImage), signal)));
  const problems: KlingError[] = [];
  const checked = new Map<string, CheckedFrame>();
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'rejected') {
      if (!isKlingError(outcome.reason)) throw outcome.reason;
      problems.push(outcome.reason);
    } else if ('problems' in outcome.value) {
      for (const p of outcome.value.problems) problems.push(new KlingError('image_rejected', p));
    } else {
      checked.set(refs[i]!, outcome.value);
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
  ref: string,
  frames: Frame[],
  sources: ImageSources,
  signal: AbortSignal | undefined,
  load: (label: string, source: ImageSource, maxBytes: number) => Promise<FetchedImage>,
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<CheckedFrame | { problems: string[] }> {
  const label = frames.map((f) => f.label).join(', ');
  // Frames of one ref with different specs (fields of other models) share the load, read up to the most any allows.
  const specs = new Map<ImageSpec, string[]>();
  for (const f of frames) specs.set(f.spec, [...(specs.get(f.spec) ?? []), f.label]);
  const source = imageSourceOf(label, ref, sources.local !== undefined);
  if (source.kind === 'keyframe') return checkKeyframe(label, source.id, specs, sources, signal, onImage);
  const loaded = await load(label, source, Math.max(...[...specs.keys()].map((spec) => sizeCap(spec.rules).maxBytes)));
  const { problems, report } = await inspectAll(loaded, source, specs);
  if (problems.length > 0 || !report) return { problems };
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

/** The image judged by every spec its frames use: each one's problems, and its report when all pass. */
async function inspectAll(loaded: FetchedImage, source: ImageSource, specs: Map<ImageSpec, string[]>): Promise<{ problems: string[]; report?: ImageReport }> {
  const problems: string[] = [];
  let report: ImageReport | undefined;
  for (const [spec, labels] of specs) {
    const inspection = await inspectImage(labels.join(', '), loaded, source, spec).catch((err: unknown) => {
      if (!(err instanceof UnknownImageRuleError)) throw err;
      throw new KlingError(
        'unknown_image_rule',
        `${labels.join(', ')}: ${spec.modelName} publishes an image rule this server cannot check (${err.rules.map((r) => `"${r.validation_rule}"`).join(', ')}), ` +
          'so the image is refused rather than judged without it: update kling-o1-mcp to a version that knows it.',
      );
    });
    if (inspection.ok) report = inspection.report;
    else problems.push(...inspection.problems);
  }
  return { problems, report };
}

/**
 * A keyframe as a frame: its saved bytes judged like any image, sent as RunComfy's URL while that still answers,
 * else inline. One that breaks a rule (a 2K PNG over a frame's size limit) is sent as a conforming JPEG copy of the
 * same pixel size, and the note says so. The ledger records its id.
 */
async function checkKeyframe(
  label: string,
  id: string,
  specs: Map<ImageSpec, string[]>,
  sources: ImageSources,
  signal: AbortSignal | undefined,
  onImage?: (image: Buffer, sha256: string) => Promise<void>,
): Promise<CheckedFrame | { problems: string[] }> {
  if (!sources.keyframe) throw new KlingError('invalid_input', `${label}: keyframe ids (${id}) are not taken here; give the image itself.`);
  const kf = await sources.keyframe(id);
  const buffer = await fs.readFile(kf.path).catch(() => {
    throw new KlingError('asset_not_found', `${label}: the file of keyframe ${id} (${kf.path}) is gone; make it again with generate_keyframes (new: true).`);
  });
  const source: ImageSource = { kind: 'file', path: kf.path };
  const whole = (b: Buffer): FetchedImage => ({ buffer: b, tooLarge: false, bytes: b.length, bytesExact: true, contentType: undefined });
  const sha256 = createHash('sha256').update(buffer).digest('hex');
  const judged = await inspectAll(whole(buffer), source, specs);
  if (judged.report && judged.problems.length === 0) {
    await onImage?.(buffer, sha256);
    const send = kf.url && (await answers(sources, label, kf.url, signal)) ? kf.url : dataUri(judged.report.mime, buffer);
    return { send, record: id, sha256, report: judged.report };
  }
  // Loaded here, not at start-up, like every use of sharp.
  const { default: sharp, oneAtATime } = await import('../media/sharp.js');
  const copy = await oneAtATime(() => sharp(buffer).jpeg({ quality: 90 }).toBuffer());
  const fitted = await inspectAll(whole(copy), source, specs);
  if (!fitted.report || fitted.problems.length > 0) return { problems: judged.problems };
  await onImage?.(buffer, sha256);
  const note = `${label}: keyframe ${id} (${(buffer.length / 2 ** 20).toFixed(1)} MiB) breaks a frame rule (${judged.problems.join(' ')}), so a JPEG copy of the same size in pixels (${(copy.length / 2 ** 20).toFixed(1)} MiB) was sent.`;
  return { send: dataUri(fitted.report.mime, copy), record: id, sha256, report: fitted.report, note };
}

/** Whether RunComfy's URL of a keyframe still serves it (outputs expire): its first byte, read the way any image URL is. */
async function answers(sources: ImageSources, label: string, url: string, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sources.fetcher.fetch(label, url, 1, signal);
    return true;
  } catch {
    return false;
  }
}

/** The exact bytes, typed by what they are (not by what a name or a data: header claimed). */
function dataUri(mime: string, bytes: Buffer): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}
