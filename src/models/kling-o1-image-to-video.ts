/**
 * Kling O1 image-to-video on RunComfy, the seed endpoint and the default model
 * everywhere: its input fields and their limits, the image rules with the
 * seed's exact texts (pasted from its schema), its durations and run times,
 * its output, and what the simulator renders for it.
 */
import { z } from 'zod';
import { durationDoc, durationField, imageFieldDoc, imageUrlField, promptField } from './fields.js';
import type { ImageRule } from './image-rules.js';
import type { ImageSpec, InputJsonSchema, Model } from './model.js';
import { modelOutputSchema } from './output.js';

export const MODEL_TITLE = 'Kling O1 image-to-video (RunComfy)';

const DURATIONS = [5, 10] as const;
const DEFAULT_DURATION = 5;

/**
 * The seed sets no prompt limit; Kling rejects very long prompts upstream, so we
 * stop them here where the error costs nothing.
 */
const PROMPT_MAX_CHARS = 2500;

/** The seed's validations, verbatim and in its order (the same for both images), as its input schema publishes them. */
const IMAGE_RULES: readonly ImageRule[] = [
  {
    validation_rule: 'file_size_mb<',
    validation_value: 10,
    validation_error: 'File size must be less than 10 MB.',
  },
  {
    validation_rule: 'width_pixels>',
    validation_value: 300,
    validation_error: 'The uploaded image width and height must exceed 300 pixels.',
  },
  {
    validation_rule: 'height_pixels>',
    validation_value: 300,
    validation_error: 'The uploaded image width and height must exceed 300 pixels.',
  },
  {
    validation_rule: 'width/height>',
    validation_value: 0.4,
    validation_error: 'The aspect ratio range should be between 0.40 and 2.50.',
  },
  {
    validation_rule: 'width/height<',
    validation_value: 2.5,
    validation_error: 'The aspect ratio range should be between 0.40 and 2.50.',
  },
];

/** Both frames accept the same: the file types the seed names, and its rules. */
const FRAME: ImageSpec = { modelName: 'Kling O1', types: ['jpg', 'jpeg', 'png', 'webp', 'gif', 'avif'], rules: IMAGE_RULES };

export type ImageField = 'start_image_url' | 'end_image_url';

const FIELD_DOCS = {
  prompt:
    'What happens between the two frames. Use @Image1 to reference the start frame and @Image2 to reference the end frame, ' +
    `e.g. "@Image1 the girl walks down the street until she reaches @Image2". At most ${PROMPT_MAX_CHARS} characters.`,
  start_image_url: imageFieldDoc('The image to use as the first frame of the video', FRAME),
  end_image_url: imageFieldDoc('The image to use as the last frame of the video', FRAME),
  duration: durationDoc(DURATIONS, DEFAULT_DURATION),
} as const;

/** The model's input as tool arguments (zod shape), with actionable messages. */
export const modelInputShape = {
  prompt: promptField({
    what: 'describing the motion from @Image1 to @Image2',
    empty: 'describe the motion from @Image1 (start frame) to @Image2 (end frame).',
    maxChars: PROMPT_MAX_CHARS,
    doc: FIELD_DOCS.prompt,
  }),
  start_image_url: imageUrlField('start_image_url', FRAME, FIELD_DOCS.start_image_url),
  end_image_url: imageUrlField('end_image_url', FRAME, FIELD_DOCS.end_image_url),
  duration: durationField(DURATIONS, DEFAULT_DURATION),
};
const modelInputSchema = z.object(modelInputShape);
export type ModelInput = z.output<typeof modelInputSchema>;

/** The seed's input schema, rebuilt from the definitions above. */
function inputJsonSchema(): InputJsonSchema {
  const image = (field: ImageField, title: string) => ({ title, description: FIELD_DOCS[field], type: 'string', validations: FRAME.rules });
  return {
    type: 'object',
    title: 'Input',
    required: ['prompt', 'start_image_url', 'end_image_url'],
    properties: {
      prompt: { title: 'Prompt', description: FIELD_DOCS.prompt, type: 'string', maxLength: PROMPT_MAX_CHARS },
      start_image_url: image('start_image_url', 'Start Image'),
      end_image_url: image('end_image_url', 'End Image'),
      duration: { title: 'Duration', description: FIELD_DOCS.duration, type: 'integer', enum: [...DURATIONS], default: DEFAULT_DURATION },
    },
  };
}

export const klingO1ImageToVideo: Model<ModelInput, ImageField> = {
  id: 'kling/kling-video-o1/image-to-video',
  key: 'kling-o1-image-to-video',
  title: MODEL_TITLE,
  inputShape: modelInputShape,
  input: modelInputSchema,
  images: { start_image_url: FRAME, end_image_url: FRAME },
  videoFields: [],
  durations: DURATIONS,
  defaultDuration: DEFAULT_DURATION,
  expectedRunMs: { 5: 90_000, 10: 150_000 },
  output: modelOutputSchema,
  simulator: {
    // The price quoted elsewhere for Kling O1 image-to-video (RunComfy's own was not found).
    price: { base_price_usd: 0.112, price_unit: 'second', pricing_note: 'Billed per second of output video.' },
    timing: { 5: { queueMs: 2_000, runMs: 5_000 }, 10: { queueMs: 2_000, runMs: 8_000 } },
    // A crossfade from the start frame to the end frame, shaped like the start frame.
    clip: (input) => ({ frames: [input.start_image_url, input.end_image_url] }),
  },
  inputJsonSchema,
};
