/** The text of an error in RunComfy's answers: the job and board views read it too, without the answer schemas (schemas.ts), which no start needs. */

/** The human-readable text of an error value from an upstream body, if any. */
export function errorText(value: unknown): string | undefined {
  if (value == null) return undefined;
  if (typeof value === 'string') return value.slice(0, 500);
  if (Array.isArray(value)) {
    const parts = value.map(errorText).filter(Boolean);
    return parts.length ? parts.join('; ').slice(0, 500) : undefined;
  }
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of ['detail', 'message', 'msg', 'error', 'error_message', 'reason']) {
      const t = errorText(o[key]);
      if (t) return t;
    }
    return JSON.stringify(value).slice(0, 500);
  }
  return String(value).slice(0, 500);
}
