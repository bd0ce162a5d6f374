/** File extensions and MIME types of the media this server saves and links. */
export const MIME_BY_EXT: Record<string, string> = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  webp: 'image/webp',
  gif: 'image/gif',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  avif: 'image/avif',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
};
export const EXT_BY_MIME: Record<string, string> = Object.fromEntries(Object.entries(MIME_BY_EXT).map(([e, m]) => [m, e]));

export function extOf(url: string): string | undefined {
  try {
    return /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  } catch {
    return undefined;
  }
}

export function mimeFromUrl(url: string, fallback = 'application/octet-stream'): string {
  const ext = extOf(url);
  return (ext && MIME_BY_EXT[ext]) || fallback;
}
