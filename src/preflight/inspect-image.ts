/**
 * Reads an image's real format and size from its header bytes (sharp metadata,
 * no pixel decoding) and applies the model field's types and rules to it.
 */
import { describeViolation, imageRuleViolations, sizeCap } from '../models/image-rules.js';
import type { ImageSpec } from '../models/model.js';
import type { FetchedImage } from './fetch-image.js';
import type { ImageSource } from './image-source.js';

/** Formats as detected from the bytes (jpg and jpeg are one format). */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif';
/** MIME types of those formats, for data: URIs and resource links. */
const IMAGE_MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};

/** Far beyond any real keyframe (~4K is 8.3 MP); stops decompression bombs. */
export const MAX_PIXELS = 100_000_000;

export interface ImageReport {
  format: ImageFormat;
  mime: string;
  width: number;
  height: number;
  bytes: number;
}

export type Inspection = { ok: true; report: ImageReport } | { ok: false; problems: string[] };

type SharpFormat = { format?: string; compression?: string; width?: number; height?: number; pageHeight?: number };

async function readHeader(buffer: Buffer): Promise<SharpFormat | undefined> {
  const { default: sharp, oneAtATime } = await import('../media/sharp.js');
  try {
    // Only the header is read; the pixel limit is checked below, with a message that says so.
    return await oneAtATime(() => sharp(buffer, { limitInputPixels: false, failOn: 'none', animated: false }).metadata());
  } catch {
    return undefined;
  }
}

/** The format the bytes are in, if it is one of the field's types, or the name of the format they are in instead. */
export function acceptedFormat(meta: SharpFormat, types: readonly string[]): { format: ImageFormat } | { other: string } {
  const found = formatOf(meta);
  if (!('format' in found)) return found;
  const accepted = types.includes(found.format) || (found.format === 'jpeg' && types.includes('jpg'));
  return accepted ? found : { other: found.format.toUpperCase() };
}

function formatOf(meta: SharpFormat): { format: ImageFormat } | { other: string } {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
      return { format: meta.format };
    case 'heif':
      // sharp reports AVIF as HEIF with AV1 compression; HEVC-coded HEIF is HEIC.
      return meta.compression === 'av1' ? { format: 'avif' } : { other: 'HEIC/HEIF' };
    default:
      return { other: (meta.format ?? 'unknown').toUpperCase() };
  }
}

/** How to say "empty" and "not an image" of each kind of source. */
function sayNotAnImage(source: ImageSource, fetched: FetchedImage): { empty: string; unreadable: string } {
  const declared = fetched.contentType?.split(';')[0];
  switch (source.kind) {
    case 'url':
      return {
        empty: 'the URL answered with an empty body, not an image.',
        unreadable: `this URL does not serve an image that can be read${declared ? ` (the server sent ${declared}, ${fetched.bytes} bytes)` : ''}.`,
      };
    case 'file':
      return {
        empty: `${source.path} is an empty file, not an image.`,
        unreadable: `${source.path} is not an image that can be read (${fetched.bytes} bytes).`,
      };
    case 'keyframe':
      return { empty: `keyframe ${source.id} is empty.`, unreadable: `keyframe ${source.id} is not an image that can be read.` };
    case 'data':
      return {
        empty: 'the data: URI holds no bytes, not an image.',
        unreadable: `this data: URI does not hold an image that can be read (it says ${declared}, ${fetched.bytes} bytes).`,
      };
  }
}

/** Checks the bytes against what the field accepts; `label` names the frame in every message (e.g. "start_image_url"). */
export async function inspectImage(label: string, fetched: FetchedImage, source: ImageSource, spec: ImageSpec): Promise<Inspection> {
  const say = sayNotAnImage(source, fetched);
  if (!fetched.tooLarge && fetched.bytes === 0) {
    return { ok: false, problems: [`${label}: ${say.empty}`] };
  }
  const meta = fetched.buffer.length > 0 ? await readHeader(fetched.buffer) : undefined;
  if (!meta?.format || !meta.width || !meta.height) {
    if (fetched.tooLarge) {
      // Still say why in the size rule's words, even when the header could not be read.
      const size = imageRuleViolations([sizeCap(spec.rules).rule], { bytes: fetched.bytes, bytesAtLeast: !fetched.bytesExact, width: 0, height: 0 });
      return { ok: false, problems: size.map((v) => describeViolation(label, v)) };
    }
    return { ok: false, problems: [`${label}: ${say.unreadable} Accepted file types: ${spec.types.join(', ')}.`] };
  }
  const kind = acceptedFormat(meta, spec.types);
  if ('other' in kind) {
    return {
      ok: false,
      problems: [
        `${label}: the file is a ${kind.other} image (judged by its bytes, whatever its name says); ${spec.modelName} accepts only ${spec.types.join(', ')}. Convert it first.`,
      ],
    };
  }
  const width = meta.width;
  const height = meta.pageHeight ?? meta.height;
  if (width * height > MAX_PIXELS) {
    return {
      ok: false,
      problems: [`${label}: the image claims ${width}×${height} pixels, far beyond what a keyframe needs; resize it to at most ~4K.`],
    };
  }
  const violations = imageRuleViolations(spec.rules, { bytes: fetched.bytes, bytesAtLeast: !fetched.bytesExact, width, height });
  if (violations.length > 0) return { ok: false, problems: violations.map((v) => describeViolation(label, v)) };
  return { ok: true, report: { format: kind.format, mime: IMAGE_MIME_TYPES[kind.format], width, height, bytes: fetched.bytes } };
}
