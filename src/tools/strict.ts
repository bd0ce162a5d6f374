/**
 * Argument objects that refuse keys they do not know. zod's default drops them, and a dropped `Duration: 10` renders,
 * and bills, the default 5 s: so every tool's arguments, and every object inside them (a shot), are strict, and the
 * refusal names the key, the keys taken and the near miss it probably was. A strict object also publishes
 * `additionalProperties: false`, so a client that validates refuses before sending.
 */
import { z } from 'zod';

/** Keys as an agent miswrites them: case and `-`/`_` do not count as a difference. */
const canonical = (key: string) => key.toLowerCase().replaceAll('-', '_');

/** Edit distance (insert, delete, replace, swap two neighbours), over the few short names of one tool's keys. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The key meant by `unknown` when it is a near miss: the same but for case or -/_, or one or two letters off (one, for short keys). */
export function nearestKey(unknown: string, keys: readonly string[]): string | undefined {
  const u = canonical(unknown);
  let best: { key: string; d: number } | undefined;
  for (const key of keys) {
    const d = editDistance(u, canonical(key));
    if (d < (best?.d ?? Infinity)) best = { key, d };
  }
  return best && best.d <= (u.length <= 4 ? 1 : 2) ? best.key : undefined;
}

/** "unknown argument `Duration`; did you mean `duration`? <where> takes …": each unknown key with its near miss, then the keys taken. */
export function unknownKeysMessage(unknown: readonly string[], keys: readonly string[], where: string): string {
  const each = unknown.map((k) => {
    const near = nearestKey(k, keys);
    return `\`${k}\`${near ? `; did you mean \`${near}\`?` : ''}`;
  });
  const what = unknown.length === 1 ? 'unknown argument' : 'unknown arguments';
  return `${what} ${each.join(', ')} (${where} takes ${keys.map((k) => `\`${k}\``).join(', ')}). Nothing was checked or submitted.`;
}

/**
 * A strict object of `shape`: unknown keys are refused with unknownKeysMessage; `notObject` is the message when the
 * value is not an object at all (zod's own otherwise).
 */
export function strictObject<S extends z.ZodRawShape>(shape: S, where: string, notObject?: string) {
  const keys = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeysMessage(iss.keys, keys, where) : iss.code === 'invalid_type' ? notObject : undefined),
  });
}
