/** Reading the codes that Node and undici put on network failures. */

export function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Failures in which no byte of the request can have reached the server. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export function neverReachedServer(cause: unknown): boolean {
  if (cause && typeof cause === 'object' && (cause as { afterHeaders?: boolean }).afterHeaders) return false;
  const code = networkCode(cause);
  return code !== undefined && NEVER_CONNECTED.has(code);
}

/** Drops a response body we will not read; undici reports the abort as an error event, which is expected here. */
export function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}
