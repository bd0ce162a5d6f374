/**
 * Kling O3 4K image-to-video on RunComfy (its id says `4K`, upper case): its
 * input schema exactly as RunComfy publishes it (its catalog of 2026-09-23), and
 * what that schema cannot say: a 4K video billed per second at RunComfy's live
 * price, sound included (its `sound` says so), from `image` and an optional
 * `end_image`; run times; what the simulator makes (larger clips).
 */
import { defineModel } from './define.js';
import { ENGINE_PROMPT, ENGINE_SECONDS, FRAME, runTimes, simTiming } from './kling-engines.js';
import type { PublishedSchema } from './schema.js';

// prettier-ignore
const SCHEMA = {
  "properties": {
    "duration": {
      "default": 5,
      "description": "Length of the generated 4K clip in seconds. Pricing scales linearly with the selected duration.",
      "enum": [
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
        14,
        15
      ],
      "type": "integer"
    },
    "end_image": {
      "description": "Optional public URL of the last frame. Provide one to lock the motion arc and define exactly where the clip lands.",
      "format": "image_uri",
      "type": "string"
    },
    "image": {
      "description": "Public URL of the starting frame. This still anchors the subject, composition, and style of the generated 4K clip.",
      "format": "image_uri",
      "type": "string"
    },
    "prompt": {
      "default": "",
      "description": "Describe the motion, camera move, lighting, and atmosphere you want layered over the reference image.",
      "type": "string"
    },
    "shot_type": {
      "default": "customize",
      "description": "Editing mode. Use intelligent for auto-decided scope, or customize for prompt-driven manual control.",
      "enum": [
        "customize",
        "intelligent"
      ],
      "type": "string"
    },
    "sound": {
      "default": false,
      "description": "When enabled, synthesize matching ambient audio alongside the 4K video. Pricing is unchanged.",
      "type": "boolean"
    }
  },
  "required": [
    "image",
    "prompt"
  ],
  "type": "object"
} as const satisfies PublishedSchema;

export const klingO34kImageToVideo = defineModel({
  id: 'kling/kling-video-o3/4K/image-to-video',
  key: 'kling-o3-4k-image-to-video',
  title: 'Kling O3 4K image-to-video (RunComfy)',
  name: 'Kling O3 4K',
  schema: SCHEMA,
  makes: 'video',
  clip: { start: 'image', end: 'end_image', sound: 'sound' },
  price: { unit: 'second', units: (input) => input.duration },
  media: { image: FRAME, end_image: FRAME },
  words: { prompt: ENGINE_PROMPT },
  expectedRunMs: runTimes(ENGINE_SECONDS, 2),
  simulator: {
    price: { base_price_usd: 0.42, price_unit: 'second', pricing_note: 'Per second of 4K video; sound is included.' },
    timing: (input) => simTiming(input.duration),
    makes: { kind: 'video', video: (input) => ({ frames: [input.image, input.end_image].filter((f) => f !== undefined), sound: input.sound, scale: 2 }) },
  },
});
