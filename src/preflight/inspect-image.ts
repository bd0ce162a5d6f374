/**
 * Reads an image's real format and size from its header bytes (sharp metadata,
 * no pixel decoding) and applies the model's rules to it.
 */
import { ACCEPTED_IMAGE_TYPES, IMAGE_MIME_TYPES, describeViolation, imageRuleViolations, type ImageFormat } from '../model/kling-o1.js';
import type { FetchedImage } from './fetch-image.js';
import type { ImageSource } from './image-source.js';

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
  const { default: sharp } = await import('sharp');
  try {
    // Only the header is read; the pixel limit is checked below, with a message that says so.
    return await sharp(buffer, { limitInputPixels: false, failOn: 'none', animated: false }).metadata();
  } catch {
    return undefined;
  }
}

/** The accepted format the bytes are in, or the name of the format they are in instead. */
export function acceptedFormat(meta: SharpFormat): { format: ImageFormat } | { other: string } {
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
    case 'data':
      return {
        empty: 'the data: URI holds no bytes, not an image.',
        unreadable: `this data: URI does not hold an image that can be read (it says ${declared}, ${fetched.bytes} bytes).`,
      };
  }
}

/** Checks the bytes against the model's rules; `label` names the frame in every message (e.g. "start_image_url"). */
export async function inspectImage(label: string, fetched: FetchedImage, source: ImageSource): Promise<Inspection> {
  const say = sayNotAnImage(source, fetched);
  if (!fetched.tooLarge && fetched.bytes === 0) {
    return { ok: false, problems: [`${label}: ${say.empty}`] };
  }
  const meta = fetched.buffer.length > 0 ? await readHeader(fetched.buffer) : undefined;
  if (!meta?.format || !meta.width || !meta.height) {
    if (fetched.tooLarge) {
      // Still say why in the seed's words, even when the header could not be read.
      const size = imageRuleViolations({ bytes: fetched.bytes, bytesAtLeast: !fetched.bytesExact, width: 301, height: 301 });
      return { ok: false, problems: size.map((v) => describeViolation(label, v)) };
    }
    return { ok: false, problems: [`${label}: ${say.unreadable} Accepted file types: ${ACCEPTED_IMAGE_TYPES.join(', ')}.`] };
  }
  const kind = acceptedFormat(meta);
  if ('other' in kind) {
    return {
      ok: false,
      problems: [
        `${label}: the file is a ${kind.other} image (judged by its bytes, whatever its name says); Kling O1 accepts only ${ACCEPTED_IMAGE_TYPES.join(', ')}. Convert it first.`,
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
  const violations = imageRuleViolations({ bytes: fetched.bytes, bytesAtLeast: !fetched.bytesExact, width, height });
  if (violations.length > 0) return { ok: false, problems: violations.map((v) => describeViolation(label, v)) };
  return { ok: true, report: { format: kind.format, mime: IMAGE_MIME_TYPES[kind.format], width, height, bytes: fetched.bytes } };
}
