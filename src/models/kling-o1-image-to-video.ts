/**
 * Kling O1 image-to-video on RunComfy, the seed endpoint (registry.ts makes it
 * the default): its input schema exactly as RunComfy publishes it (the model
 * page's "Input schema"), and what that schema cannot say: it makes a video,
 * billed per second; the file types of its frames; our words for the prompt;
 * its run times; what the simulator renders for it.
 */
import { defineModel } from './define.js';
import type { InputOf, PublishedSchema } from './schema.js';

// prettier-ignore
const SCHEMA = {
  "type": "object",
  "title": "Input",
  "required": [
    "prompt",
    "start_image_url",
    "end_image_url"
  ],
  "properties": {
    "prompt": {
      "title": "Prompt",
      "description": "Use @Image1 to reference the start frame, @Image2 to reference the end frame.",
      "type": "string",
      "default": "The girl is walking on the street"
    },
    "start_image_url": {
      "title": "Start Image",
      "description": "Image to use as the first frame of the video. Accepted file types: jpg, jpeg, png, webp, gif, avif.",
      "type": "string",
      "default": "https://playgrounds-storage-public.runcomfy.net/tools/7243/media-files/input-1-1.png",
      "validations": [
        {
          "validation_rule": "file_size_mb<",
          "validation_value": 10,
          "validation_error": "File size must be less than 10 MB."
        },
        {
          "validation_rule": "width_pixels>",
          "validation_value": 300,
          "validation_error": "The uploaded image width and height must exceed 300 pixels."
        },
        {
          "validation_rule": "height_pixels>",
          "validation_value": 300,
          "validation_error": "The uploaded image width and height must exceed 300 pixels."
        },
        {
          "validation_rule": "width/height>",
          "validation_value": 0.4,
          "validation_error": "The aspect ratio range should be between 0.40 and 2.50."
        },
        {
          "validation_rule": "width/height<",
          "validation_value": 2.5,
          "validation_error": "The aspect ratio range should be between 0.40 and 2.50."
        }
      ]
    },
    "end_image_url": {
      "title": "End Image",
      "description": "Image to use as the last frame of the video. Accepted file types: jpg, jpeg, png, webp, gif, avif.",
      "type": "string",
      "default": "https://playgrounds-storage-public.runcomfy.net/tools/7243/media-files/input-1-2.png",
      "validations": [
        {
          "validation_rule": "file_size_mb<",
          "validation_value": 10,
          "validation_error": "File size must be less than 10 MB."
        },
        {
          "validation_rule": "width_pixels>",
          "validation_value": 300,
          "validation_error": "The uploaded image width and height must exceed 300 pixels."
        },
        {
          "validation_rule": "height_pixels>",
          "validation_value": 300,
          "validation_error": "The uploaded image width and height must exceed 300 pixels."
        },
        {
          "validation_rule": "width/height>",
          "validation_value": 0.4,
          "validation_error": "The aspect ratio range should be between 0.40 and 2.50."
        },
        {
          "validation_rule": "width/height<",
          "validation_value": 2.5,
          "validation_error": "The aspect ratio range should be between 0.40 and 2.50."
        }
      ]
    },
    "duration": {
      "title": "Duration",
      "description": "Video duration in seconds.",
      "type": "integer",
      "enum": [
        5,
        10
      ],
      "default": 5
    }
  }
} as const satisfies PublishedSchema;

/**
 * The seed sets no prompt limit; Kling rejects very long prompts upstream, so we
 * stop them here where the error costs nothing.
 */
const PROMPT_MAX_CHARS = 2500;

/** Both frames are images of the file types the schema's descriptions name. */
const FRAME = { kind: 'image', types: ['jpg', 'jpeg', 'png', 'webp', 'gif', 'avif'] } as const;

export type KlingO1Input = InputOf<typeof SCHEMA>;

export const klingO1ImageToVideo = defineModel({
  id: 'kling/kling-video-o1/image-to-video',
  key: 'kling-o1-image-to-video',
  title: 'Kling O1 image-to-video (RunComfy)',
  name: 'Kling O1',
  schema: SCHEMA,
  makes: 'video',
  price: { unit: 'second', units: (input) => input.duration },
  clip: { start: 'start_image_url', end: 'end_image_url' },
  media: { start_image_url: FRAME, end_image_url: FRAME },
  words: {
    prompt: {
      doc:
        'What happens between the two frames. Use @Image1 to reference the start frame and @Image2 to reference the end frame, ' +
        `e.g. "@Image1 the girl walks down the street until she reaches @Image2". At most ${PROMPT_MAX_CHARS} characters.`,
      what: 'describing the motion from @Image1 to @Image2',
      empty: 'describe the motion from @Image1 (start frame) to @Image2 (end frame).',
      maxLength: PROMPT_MAX_CHARS,
    },
    start_image_url: { purpose: 'The image to use as the first frame of the video' },
    end_image_url: { purpose: 'The image to use as the last frame of the video' },
  },
  expectedRunMs: { 5: 90_000, 10: 150_000 },
  simulator: {
    // The price quoted elsewhere for Kling O1 image-to-video (RunComfy's own was not found).
    price: { base_price_usd: 0.112, price_unit: 'second', pricing_note: 'Billed per second of output video.' },
    timing: (input) => ({ queueMs: 2_000, runMs: input.duration === 10 ? 8_000 : 5_000 }),
    // A crossfade from the start frame to the end frame, shaped like the start frame.
    makes: { kind: 'video', video: (input) => ({ frames: [input.start_image_url, input.end_image_url] }) },
  },
});
