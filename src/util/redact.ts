/**
 * Scrubs secrets from any text that leaves the process (logs, tool results,
 * notifications). Secrets register themselves once, at start-up.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Very short values would scrub ordinary words; real tokens are long.
  if (value && value.length >= 6) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  // Whatever slipped past: bearer credentials in echoed headers.
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi, '$1[redacted]');
}
