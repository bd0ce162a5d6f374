/**
 * Kling 3.0 Standard image-to-video on RunComfy: its input schema exactly as
 * RunComfy publishes it (its catalog of 2026-09-23), and what that schema cannot
 * say: a video billed per second ($0.084, with sound $0.126, as its model page
 * says) from a start frame alone (it takes no end frame); 5 s and silent unless
 * asked, never RunComfy's 10 s with sound; run times; what the simulator makes.
 */
import { defineModel } from './define.js';
import { ENGINE_PROMPT, ENGINE_SECONDS, FRAME, runTimes, simTiming } from './kling-engines.js';
import type { PublishedSchema } from './schema.js';

// prettier-ignore
const SCHEMA = {
  "properties": {
    "cfg_scale": {
      "default": 0.5,
      "description": "Classifier-Free Guidance scale controlling adherence to the prompt.",
      "maximum": 1,
      "minimum": 0,
      "type": "number"
    },
    "duration": {
      "default": 10,
      "description": "Total duration of the generated video in seconds.",
      "maximum": 15,
      "minimum": 3,
      "type": "integer"
    },
    "generate_audio": {
      "default": true,
      "description": "Enable this option to generate audio for the video.",
      "type": "boolean"
    },
    "negative_prompt": {
      "description": "",
      "type": "string",
      "default": ""
    },
    "prompt": {
      "default": "",
      "description": "",
      "type": "string"
    },
    "shot_type": {
      "default": "customize",
      "description": "Defines how the camera shot or scene framing is handled.",
      "enum": [
        "customize"
      ],
      "type": "string"
    },
    "start_image_url": {
      "description": "Starting image of the video. Supports jpg, jpeg, png, bmp, webp formats.",
      "format": "image_uri",
      "type": "string"
    }
  },
  "required": [
    "prompt",
    "start_image_url"
  ],
  "type": "object"
} as const satisfies PublishedSchema;

export const kling30StandardImageToVideo = defineModel({
  id: 'kling/kling-3.0/standard/image-to-video',
  key: 'kling-3.0-standard-image-to-video',
  title: 'Kling 3.0 Standard image-to-video (RunComfy)',
  name: 'Kling 3.0 Standard',
  schema: SCHEMA,
  makes: 'video',
  clip: { start: 'start_image_url', sound: 'generate_audio' },
  price: {
    unit: 'second',
    units: (input) => input.duration,
    published: { usd: (input) => (input.generate_audio ? 0.126 : 0.084), source: "RunComfy's model page" },
  },
  media: { start_image_url: FRAME },
  words: { prompt: ENGINE_PROMPT, duration: { default: 5 }, generate_audio: { default: false } },
  expectedRunMs: runTimes(ENGINE_SECONDS),
  simulator: {
    price: { base_price_usd: 0.084, price_unit: 'second', pricing_note: 'Per second of video; $0.126 per second with audio.' },
    timing: (input) => simTiming(input.duration),
    makes: { kind: 'video', video: (input) => ({ frames: [input.start_image_url], sound: input.generate_audio }) },
  },
});
