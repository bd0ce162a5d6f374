/**
 * Reads one local file (an image, or a soundtrack), defensively: only inside the
 * allowed folders (judged on its real path, so a symlink cannot lead out), only
 * a regular file, and never more than the size cap into memory.
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import { KlingError } from '../errors.js';
import { isInside, type ResolvedFolders } from './allowed-folders.js';
import type { FetchedImage } from './fetch-image.js';

// O_NONBLOCK: opening a FIFO swapped in after the check must not hang the call. Neither flag exists on Windows.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** What a refusal calls the file: a soundtrack is read from the same folders as images, but it is no image. */
const WORDS = {
  image: { file: 'image file', plural: 'images', the: 'the image' },
  audio: { file: 'audio file', plural: 'audio files', the: 'the audio file' },
};
type FileKind = keyof typeof WORDS;
type Words = (typeof WORDS)[FileKind];

/** `given` is an absolute, normalised path. */
export async function readLocalImage(
  label: string,
  given: string,
  folders: ResolvedFolders,
  maxBytes: number,
  kind: FileKind = 'image',
): Promise<FetchedImage> {
  const words = WORDS[kind];
  const inside = (p: string) => folders.real.some((f) => isInside(f, p));
  const outside = (real?: string) =>
    new KlingError(
      'invalid_input',
      `${label}: ${given}${real && real !== given ? ` (a link to ${real})` : ''} is outside the folders this server may read ${words.plural} from: ${folders.shown}. ` +
        `Move ${words.the} into one of them, add its folder to KLING_MCP_IMAGE_DIRS, or give a public https:// URL.`,
    );
  let real: string;
  try {
    real = await fs.realpath(given);
  } catch (err) {
    // Whether a file exists outside the allowed folders is none of the caller's business.
    if (!inside(given)) throw outside();
    throw fileError(label, given, err, words);
  }
  if (!inside(real)) throw outside(real);
  const before = await fs.stat(real).catch((err: unknown) => {
    throw fileError(label, given, err, words);
  });
  assertRegularFile(label, given, before, words);
  // Known too large: say so without reading a byte.
  if (before.size > maxBytes) return { buffer: Buffer.alloc(0), tooLarge: true, bytes: before.size, bytesExact: true, contentType: undefined };
  const handle = await fs.open(real, OPEN_FLAGS).catch((err: unknown) => {
    throw fileError(label, given, err, words);
  });
  try {
    const opened = await handle.stat();
    // The path was swapped between the check and the open: refuse rather than read something else.
    if (opened.ino !== before.ino || opened.dev !== before.dev)
      throw new KlingError('invalid_input', `${label}: ${given} changed while it was being read; try again.`);
    assertRegularFile(label, given, opened, words);
    return await readCapped(handle, maxBytes);
  } finally {
    await handle.close();
  }
}

function assertRegularFile(label: string, given: string, st: Stats, words: Words): void {
  if (st.isDirectory()) throw new KlingError('invalid_input', `${label}: ${given} is a folder; give the path of an ${words.file} in it.`);
  if (!st.isFile())
    throw new KlingError('invalid_input', `${label}: ${given} is not a regular file (a device, pipe or socket); give the path of an ${words.file}.`);
}

/** Streams at most maxBytes + 1 bytes: one past the cap proves the file is too large (it may have grown since stat). */
async function readCapped(handle: fs.FileHandle, maxBytes: number): Promise<FetchedImage> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of handle.createReadStream({ start: 0, end: maxBytes, autoClose: false })) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
  }
  const tooLarge = total > maxBytes;
  return { buffer: Buffer.concat(chunks), tooLarge, bytes: total, bytesExact: !tooLarge, contentType: undefined };
}

function fileError(label: string, given: string, err: unknown, words: Words): KlingError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? 'there is no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'this server may not read it (permission denied)'
        : code === 'ELOOP'
          ? 'it is a loop of symbolic links'
          : `it cannot be read (${code ?? (err as Error).message})`;
  return new KlingError('invalid_input', `${label}: ${given}: ${why}. Give the absolute path of an existing ${words.file}.`);
}
