/**
 * What an image reference is: a URL (fetched to check, then sent as it is), a
 * local file (absolute path or file:// URL), or a data: URI. Local files and
 * data: URIs are checked here and sent inline, since RunComfy cannot reach them.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KlingError } from '../errors.js';
import { isDataUri } from '../models/fields.js';
import type { FetchedImage } from './fetch-image.js';

export type ImageSource =
  | { kind: 'url'; url: string }
  | { kind: 'file'; path: string }
  | { kind: 'data'; declared: string; base64: string }
  /** A keyframe this server made (generate_keyframes), by its id. */
  | { kind: 'keyframe'; id: string };

/** A keyframe's id, as generate_keyframes answers it. */
export const KEYFRAME_ID = /^kf-[0-9a-f]{8,32}$/;

const LOCAL_OFF =
  'local images (file paths, file:// URLs and data: URIs) are turned off on this server (KLING_MCP_LOCAL_IMAGES=0); give a public https:// URL of the image instead.';

/** `~` and `~/…` name the home folder, as a shell reads them (agents write them all the time); `~user/…` is not read. */
function homePath(ref: string): string | undefined {
  return /^~(?:$|[\\/])/.test(ref) ? path.join(os.homedir(), ref.slice(1)) : undefined;
}

// What looks like a file name rather than a URL: images, and the soundtracks this server takes.
const FILE_NAME = /\.(png|jpe?g|webp|gif|avif|m4a|mp4|aac|mp3)$/i;

/** Classifies a reference; throws `invalid_input` for local ones when they are turned off, or malformed. */
export function imageSourceOf(label: string, ref: string, localImages: boolean): ImageSource {
  if (KEYFRAME_ID.test(ref)) return { kind: 'keyframe', id: ref };
  const home = homePath(ref);
  const local = isDataUri(ref) || /^file:/i.test(ref) || path.isAbsolute(ref) || home !== undefined;
  if (local && !localImages) throw new KlingError('invalid_input', `${label}: ${LOCAL_OFF}`);
  if (isDataUri(ref)) return parseDataUri(label, ref);
  if (/^file:/i.test(ref)) {
    try {
      return { kind: 'file', path: path.resolve(fileURLToPath(ref)) };
    } catch (err) {
      throw new KlingError(
        'invalid_input',
        `${label}: ${ref.slice(0, 200)} is not a file:// URL of this machine (${(err as Error).message}). Give an absolute path instead.`,
      );
    }
  }
  if (home !== undefined) return { kind: 'file', path: path.resolve(home) };
  if (path.isAbsolute(ref)) return { kind: 'file', path: path.resolve(ref) };
  if (localImages && !URL.canParse(ref) && (/[\\/]/.test(ref) || FILE_NAME.test(ref))) {
    const relative = ref.slice(0, 200);
    throw new KlingError(
      'invalid_input',
      `${label}: "${relative}" is a relative path, and this server cannot know what it is relative to. ` +
        `Give an absolute path (such as ${path.join(os.homedir(), relative)}), one that starts with ~/ for your home folder (~/${relative.replace(/^[\\/]+/, '')}), ` +
        'a file:// URL or a public https:// URL.',
    );
  }
  return { kind: 'url', url: ref };
}

const DATA_URI = /^data:([^,]*),/i;

function parseDataUri(label: string, ref: string): ImageSource {
  const head = DATA_URI.exec(ref);
  const meta = head?.[1] ?? '';
  if (!head || !/;base64$/i.test(meta)) {
    throw new KlingError('invalid_input', `${label}: a data: URI must be base64-encoded, like data:image/png;base64,iVBORw0KGgo…`);
  }
  // Whitespace may come from line-wrapped base64; anything else outside the alphabet means a damaged copy.
  const base64 = ref.slice(head[0].length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(base64)) {
    throw new KlingError('invalid_input', `${label}: the data: URI holds characters that are not base64; copy it again, whole.`);
  }
  return { kind: 'data', declared: meta.slice(0, -';base64'.length) || 'text/plain', base64 };
}

/** Decodes a data: URI's bytes, measuring first so an oversized one is never decoded. */
export function decodeDataUri(source: Extract<ImageSource, { kind: 'data' }>, maxBytes: number): FetchedImage {
  const bytes = Buffer.byteLength(source.base64, 'base64');
  const contentType = source.declared;
  if (bytes > maxBytes) return { buffer: Buffer.alloc(0), tooLarge: true, bytes, bytesExact: true, contentType };
  return { buffer: Buffer.from(source.base64, 'base64'), tooLarge: false, bytes, bytesExact: true, contentType };
}
