/**
 * Kling O3 Pro image-to-video on RunComfy: its input schema exactly as RunComfy
 * publishes it (its catalog of 2026-09-23), and what that schema cannot say: a
 * video billed per second at RunComfy's live price, a quarter more with sound
 * (its `sound` says so), from `image` and an optional `end_image`; run times;
 * what the simulator makes.
 */
import { defineModel } from './define.js';
import { ENGINE_PROMPT, ENGINE_SECONDS, FRAME, runTimes, simTiming } from './kling-engines.js';
import type { PublishedSchema } from './schema.js';

// prettier-ignore
const SCHEMA = {
  "properties": {
    "duration": {
      "default": 5,
      "description": "Length of the generated clip in seconds (3-15).",
      "maximum": 15,
      "minimum": 3,
      "type": "integer"
    },
    "end_image": {
      "description": "Optional final frame to guide a controlled transition from the start image to this image.",
      "format": "image_uri",
      "type": "string"
    },
    "image": {
      "description": "The first frame image to animate. Provide a public URL to a clear, well-lit photo or render.",
      "format": "image_uri",
      "type": "string"
    },
    "prompt": {
      "default": "",
      "description": "Describe the desired motion, camera movement, lighting, and action for the clip.",
      "type": "string"
    },
    "shot_type": {
      "default": "customize",
      "description": "Editing scope. Use intelligent for auto-decided pacing and cuts, or customize for prompt-driven manual control.",
      "enum": [
        "customize",
        "intelligent"
      ],
      "type": "string"
    },
    "sound": {
      "default": false,
      "description": "When enabled, synthesize synchronized audio alongside the video. Adds 25% to the per-second cost.",
      "type": "boolean"
    }
  },
  "required": [
    "image",
    "prompt"
  ],
  "type": "object"
} as const satisfies PublishedSchema;

export const klingO3ProImageToVideo = defineModel({
  id: 'kling/kling-video-o3/pro/image-to-video',
  key: 'kling-o3-pro-image-to-video',
  title: 'Kling O3 Pro image-to-video (RunComfy)',
  name: 'Kling O3 Pro',
  schema: SCHEMA,
  makes: 'video',
  clip: { start: 'image', end: 'end_image', sound: 'sound' },
  price: {
    unit: 'second',
    units: (input) => input.duration,
    factor: (input) => (input.sound ? 1.25 : 1),
    factorSource: "sound adds 25 %, as its schema's `sound` says",
  },
  media: { image: FRAME, end_image: FRAME },
  words: { prompt: ENGINE_PROMPT },
  expectedRunMs: runTimes(ENGINE_SECONDS),
  simulator: {
    price: { base_price_usd: 0.12, price_unit: 'second', pricing_note: 'Per second of video; sound adds 25%.' },
    timing: (input) => simTiming(input.duration),
    makes: { kind: 'video', video: (input) => ({ frames: [input.image, input.end_image].filter((f) => f !== undefined), sound: input.sound }) },
  },
});
