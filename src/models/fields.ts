/**
 * The input fields RunComfy models share, as zod tool arguments whose messages
 * say what to send: image references (with limits from the field's image rules),
 * prompts, and a duration from the model's list. A model module composes these.
 */
import { z } from 'zod';
import { describeRules, sizeCap } from './image-rules.js';
import type { ImageSpec } from './model.js';

/** Zod's type error, split into "missing" and "wrong type", each saying what to send. */
export const typeError = (field: string, what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `${field} is required: ${what}.` : `${field} must be ${what}.`;

export function isDataUri(ref: string): boolean {
  return /^data:/i.test(ref);
}

/** Longest image URL accepted; longer ones are almost always pasted by mistake. */
const IMAGE_URL_MAX_CHARS = 4096;

/** Longest data: URI accepted: base64 of the largest image the rules allow, plus room for the media type. */
function dataUriMaxChars(spec: ImageSpec): number {
  return 256 + 4 * Math.ceil(sizeCap(spec.rules).maxBytes / 3);
}

/** An image field's description: what it is for, the ways to give it, its types and its rules in words. */
export function imageFieldDoc(purpose: string, spec: ImageSpec): string {
  return (
    `${purpose}: a publicly reachable https:// URL, an absolute or ~/ file path or file:// URL ` +
    "inside the client's roots or KLING_MCP_IMAGE_DIRS (else the home folder), or a data:image/…;base64,… URI. " +
    `Accepted file types: ${spec.types.join(', ')}. ${describeRules(spec.rules)}`
  );
}

/** An image reference argument: a URL, a local path or a data: URI, with the length limits its rules imply. */
export function imageUrlField(field: string, spec: ImageSpec, doc: string) {
  const urlTooLong = `${field} is longer than ${IMAGE_URL_MAX_CHARS} characters; use a shorter (e.g. pre-signed) URL.`;
  const { rule: size } = sizeCap(spec.rules);
  return z
    .string({ error: typeError(field, 'a string holding the https:// URL, the absolute path or a data: URI of an image') })
    .trim()
    .min(1, { error: `${field} is empty: give the https:// URL or the absolute path of an image.` })
    .max(dataUriMaxChars(spec), {
      abort: true,
      // A data: URI this long decodes to more than the size rule allows: say so in the rule's words.
      error: (iss) =>
        isDataUri(String(iss.input)) ? `${field}: ${size.validation_error} (got a data: URI of more than ${size.validation_value} MiB)` : urlTooLong,
    })
    .refine((s) => s.length <= IMAGE_URL_MAX_CHARS || isDataUri(s), { error: urlTooLong })
    .describe(doc);
}

// C0/C1 control characters other than tab, newline and carriage return.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** A text argument (a prompt): `what` completes "a string …", `empty` says what to write when it is blank. */
export function promptField(text: { field?: string; what: string; empty: string; minChars?: number; maxChars: number; doc: string }) {
  const field = text.field ?? 'prompt';
  const trimmed = z.string({ error: typeError(field, `a string ${text.what}`) }).trim();
  return (text.minChars === 0 ? trimmed : trimmed.min(text.minChars ?? 1, { error: `${field} is empty: ${text.empty}` }))
    .max(text.maxChars, { error: `${field} is longer than ${text.maxChars} characters; shorten it.` })
    .refine((s) => !CONTROL_CHARS.test(s), { error: `${field} contains control characters; remove them.` })
    .describe(text.doc);
}

/** A reference to audio or video: an https:// URL or a data: URI (pre-flight reads images only). */
export function mediaUrlField(field: string, spec: ImageSpec, doc: string) {
  const tooLong = `${field} is longer than ${IMAGE_URL_MAX_CHARS} characters; use a shorter (e.g. pre-signed) URL.`;
  return z
    .string({ error: typeError(field, 'a string holding an https:// URL or a data: URI') })
    .trim()
    .min(1, { error: `${field} is empty: give an https:// URL.` })
    .max(dataUriMaxChars(spec), { error: tooLong })
    .refine((s) => s.length <= IMAGE_URL_MAX_CHARS || isDataUri(s), { error: tooLong })
    .describe(doc);
}
