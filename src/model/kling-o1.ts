/**
 * The one source of truth for Kling O1 image-to-video on RunComfy: the input
 * fields, their limits, the image rules with the seed's exact error texts, and
 * the output shape. Tool schemas, pre-flight checks, the simulator, the schema
 * resource and the README all derive from this module.
 */
import { z } from 'zod';
import { formatBytes } from '../util/format.js';

export const MODEL_ID = 'kling/kling-video-o1/image-to-video';
export const MODEL_TITLE = 'Kling O1 image-to-video (RunComfy)';

export const DURATIONS = [5, 10] as const;
export type Duration = (typeof DURATIONS)[number];
export const DEFAULT_DURATION: Duration = 5;

/** File types the seed accepts, as written there. */
export const ACCEPTED_IMAGE_TYPES = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'avif'] as const;
/** MIME types of those file types, for resource links and the simulator. */
export const IMAGE_MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};
/** Formats as detected from the bytes (jpg and jpeg are one format). */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif';

/**
 * The seed sets no prompt limit; Kling rejects very long prompts upstream, so we
 * stop them here where the error costs nothing.
 */
export const PROMPT_MAX_CHARS = 2500;

export const MB = 1024 * 1024;

/** What pre-flight measures of one image; the rules below read it. */
export interface ImageMeasure {
  bytes: number;
  /** Reading stopped at the limit: the file has at least `bytes` bytes. */
  bytesAtLeast?: boolean;
  width: number;
  height: number;
}

export interface ImageRule {
  validation_rule: 'file_size_mb<' | 'width_pixels>' | 'height_pixels>' | 'width/height>' | 'width/height<';
  validation_value: number;
  validation_error: string;
}

const SIZE_ERROR = 'File size must be less than 10 MB.';
const PIXELS_ERROR = 'The uploaded image width and height must exceed 300 pixels.';
const RATIO_ERROR = 'The aspect ratio range should be between 0.40 and 2.50.';

/** The seed's validations, verbatim and in its order (same for both images). */
export const IMAGE_RULES: readonly ImageRule[] = [
  { validation_rule: 'file_size_mb<', validation_value: 10, validation_error: SIZE_ERROR },
  { validation_rule: 'width_pixels>', validation_value: 300, validation_error: PIXELS_ERROR },
  { validation_rule: 'height_pixels>', validation_value: 300, validation_error: PIXELS_ERROR },
  { validation_rule: 'width/height>', validation_value: 0.4, validation_error: RATIO_ERROR },
  { validation_rule: 'width/height<', validation_value: 2.5, validation_error: RATIO_ERROR },
];

/** Largest byte count that still passes the size rule; reading stops past it. */
export const MAX_IMAGE_BYTES = 10 * MB - 1;

const MEASURES: Record<ImageRule['validation_rule'], (m: ImageMeasure) => { value: number; shown: string }> = {
  'file_size_mb<': (m) => ({ value: m.bytes / MB, shown: `${m.bytesAtLeast ? 'more than ' : ''}${formatBytes(m.bytes)}` }),
  'width_pixels>': (m) => ({ value: m.width, shown: `width ${m.width} px` }),
  'height_pixels>': (m) => ({ value: m.height, shown: `height ${m.height} px` }),
  'width/height>': (m) => ({ value: m.width / m.height, shown: (m.width / m.height).toFixed(2) }),
  'width/height<': (m) => ({ value: m.width / m.height, shown: (m.width / m.height).toFixed(2) }),
};

export interface RuleViolation {
  rule: ImageRule;
  /** The measured value as a person reads it, e.g. "3.75" or "width 200 px". */
  got: string;
}

/** Every rule the image breaks, in the seed's order (empty when it passes). */
export function imageRuleViolations(m: ImageMeasure): RuleViolation[] {
  const out: RuleViolation[] = [];
  for (const rule of IMAGE_RULES) {
    const { value, shown } = MEASURES[rule.validation_rule](m);
    const ok = rule.validation_rule.endsWith('<') ? value < rule.validation_value : value > rule.validation_value;
    if (!ok) out.push({ rule, got: shown });
  }
  return out;
}

export const IMAGE_FIELDS = ['start_image_url', 'end_image_url'] as const;
export type ImageField = (typeof IMAGE_FIELDS)[number];

/** "end_image_url: <seed text> (got 3.75)" — who (a field, or e.g. "shot 3 end_image_url"), the seed's words, the measurement. */
export function describeViolation(label: string, v: RuleViolation): string {
  return `${label}: ${v.rule.validation_error} (got ${v.got})`;
}

/** Longest image URL accepted; longer ones are almost always pasted by mistake. */
export const IMAGE_URL_MAX_CHARS = 4096;
/** Longest data: URI accepted: base64 of the largest image the size rule allows, plus room for the media type. */
export const DATA_URI_MAX_CHARS = 256 + 4 * Math.ceil(MAX_IMAGE_BYTES / 3);

export function isDataUri(ref: string): boolean {
  return /^data:/i.test(ref);
}

// C0/C1 control characters other than tab, newline and carriage return.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

const FIELD_DOCS = {
  prompt:
    'What happens between the two frames. Use @Image1 to reference the start frame and @Image2 to reference the end frame, ' +
    `e.g. "@Image1 the girl walks down the street until she reaches @Image2". At most ${PROMPT_MAX_CHARS} characters.`,
  start_image_url: imageFieldDoc('first'),
  end_image_url: imageFieldDoc('last'),
  duration: `Video duration in seconds: ${DURATIONS.join(' or ')} (default ${DEFAULT_DURATION}).`,
} as const;

function imageFieldDoc(which: 'first' | 'last'): string {
  return (
    `The image to use as the ${which} frame of the video: a publicly reachable https:// URL, an absolute file path or file:// URL ` +
    "(inside the client's roots or KLING_MCP_IMAGE_DIRS, else the user's home folder), or a data:image/…;base64,… URI. " +
    `Accepted file types: ${ACCEPTED_IMAGE_TYPES.join(', ')}. Must be under 10 MB, wider and taller than 300 px, ` +
    'with width/height between 0.40 and 2.50. Checked before anything is submitted.'
  );
}

/** Zod's type error, split into "missing" and "wrong type", each saying what to send. */
export const typeError = (field: string, what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `${field} is required: ${what}.` : `${field} must be ${what}.`;

const imageUrl = (field: ImageField) => {
  const urlTooLong = `${field} is longer than ${IMAGE_URL_MAX_CHARS} characters; use a shorter (e.g. pre-signed) URL.`;
  return z
    .string({ error: typeError(field, 'a string holding the https:// URL, the absolute path or a data: URI of an image') })
    .trim()
    .min(1, { error: `${field} is empty: give the https:// URL or the absolute path of an image.` })
    .max(DATA_URI_MAX_CHARS, {
      abort: true,
      // A data: URI this long decodes to more than the size rule allows: say so in the seed's words.
      error: (iss) => (isDataUri(String(iss.input)) ? `${field}: ${SIZE_ERROR} (got a data: URI of more than 10 MiB)` : urlTooLong),
    })
    .refine((s) => s.length <= IMAGE_URL_MAX_CHARS || isDataUri(s), { error: urlTooLong })
    .describe(FIELD_DOCS[field]);
};

/** The model's input as tool arguments (zod shape), with actionable messages. */
export const modelInputShape = {
  prompt: z
    .string({ error: typeError('prompt', 'a string describing the motion from @Image1 to @Image2') })
    .trim()
    .min(1, { error: 'prompt is empty: describe the motion from @Image1 (start frame) to @Image2 (end frame).' })
    .max(PROMPT_MAX_CHARS, { error: `prompt is longer than ${PROMPT_MAX_CHARS} characters; shorten it.` })
    .refine((s) => !CONTROL_CHARS.test(s), { error: 'prompt contains control characters; remove them.' })
    .describe(FIELD_DOCS.prompt),
  start_image_url: imageUrl('start_image_url'),
  end_image_url: imageUrl('end_image_url'),
  duration: z
    .literal(DURATIONS, { error: `duration must be ${DURATIONS.join(' or ')} (seconds, a number).` })
    .default(DEFAULT_DURATION)
    .describe(FIELD_DOCS.duration),
};
export const modelInputSchema = z.object(modelInputShape);
export type ModelInput = z.output<typeof modelInputSchema>;

/** The output object of a completed request (the seed's output schema), tolerant of extra keys. */
export const modelOutputSchema = z
  .looseObject({
    video: z.string().optional().describe('single video URL'),
    videos: z.array(z.string()).optional().describe('multiple video URLs'),
    image: z.string().optional().describe('single image URL'),
    images: z.array(z.string()).optional().describe('multiple image URLs'),
  })
  // zod writes a loose object's JSON Schema as `additionalProperties: {}`, which strict clients (MCP Inspector
  // --strict) flag; `true` says the same thing plainly. Metadata is merged into the JSON Schema zod emits.
  .meta({ additionalProperties: true });
export type ModelOutput = z.output<typeof modelOutputSchema>;

/** Every media URL of an output, videos first, without repeats. */
export function outputUrls(output: ModelOutput | undefined): { url: string; kind: 'video' | 'image' }[] {
  if (!output) return [];
  const seen = new Set<string>();
  const list: { url: string; kind: 'video' | 'image' }[] = [];
  const add = (url: string | undefined, kind: 'video' | 'image') => {
    if (url && !seen.has(url)) {
      seen.add(url);
      list.push({ url, kind });
    }
  };
  add(output.video, 'video');
  output.videos?.forEach((u) => add(u, 'video'));
  add(output.image, 'image');
  output.images?.forEach((u) => add(u, 'image'));
  return list;
}

/** The seed's input schema, rebuilt from the definitions above (served as a resource and used in docs). */
export function seedInputJsonSchema() {
  const image = (field: ImageField) => ({
    title: field === 'start_image_url' ? 'Start Image' : 'End Image',
    description: FIELD_DOCS[field],
    type: 'string',
    validations: IMAGE_RULES,
  });
  return {
    type: 'object',
    title: 'Input',
    required: ['prompt', 'start_image_url', 'end_image_url'],
    properties: {
      prompt: { title: 'Prompt', description: FIELD_DOCS.prompt, type: 'string', maxLength: PROMPT_MAX_CHARS },
      start_image_url: image('start_image_url'),
      end_image_url: image('end_image_url'),
      duration: { title: 'Duration', description: FIELD_DOCS.duration, type: 'integer', enum: [...DURATIONS], default: DEFAULT_DURATION },
    },
  };
}

export function seedOutputJsonSchema() {
  return { output: z.toJSONSchema(modelOutputSchema) };
}
