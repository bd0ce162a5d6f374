/**
 * Seedream 5.0 Pro text-to-image on RunComfy, the default keyframe model
 * (registry.ts): its input schema as RunComfy's catalog publishes it, and what
 * that schema cannot say: it makes an image, priced per image by resolution
 * tier (the schema's own words: 1K $0.040, 2K $0.080), its run time, and what
 * the simulator draws for it.
 */
import { defineModel } from './define.js';
import { imageSize } from './image-family.js';
import type { PublishedSchema } from './schema.js';
import { SEEDREAM_PRICE, SEEDREAM_PROMPT } from './seedream-5-pro-image-to-image.js';

// prettier-ignore
const SCHEMA = {
  "properties": {
    "aspect_ratio": {
      "default": "1:1",
      "description": "Output aspect ratio of the generated image.",
      "enum": [
        "1:1",
        "4:3",
        "3:4",
        "16:9",
        "9:16",
        "2:3",
        "3:2",
        "21:9"
      ],
      "type": "string"
    },
    "output_format": {
      "default": "png",
      "description": "The format of the output images. This will determine the format of the output images.",
      "enum": [
        "png",
        "jpeg"
      ],
      "type": "string"
    },
    "prompt": {
      "default": "",
      "description": "The recommended length is no more than 600 English words. If the prompt is too long, the information may become scattered. The model might ignore details and only concentrate on the main points, resulting in a image with missing elements.",
      "type": "string"
    },
    "resolution": {
      "default": "2K",
      "description": "Choose the output resolution tier. 1K is billed at $0.040 per image, 2K at $0.080.",
      "enum": [
        "1K",
        "2K"
      ],
      "type": "string"
    }
  },
  "required": [
    "prompt"
  ],
  "type": "object"
} as const satisfies PublishedSchema;

export const seedream5ProTextToImage = defineModel({
  id: 'bytedance/seedream-5.0-pro/text-to-image',
  key: 'seedream-5-pro-text-to-image',
  title: 'Seedream 5.0 Pro text-to-image (RunComfy)',
  name: 'Seedream 5.0 Pro',
  schema: SCHEMA,
  makes: 'image',
  price: SEEDREAM_PRICE,
  media: {},
  words: { prompt: SEEDREAM_PROMPT },
  expectedRunMs: 20_000,
  simulator: {
    price: { base_price_usd: 0.04, price_unit: 'image', pricing_note: '1K $0.040, 2K $0.080 per image.' },
    timing: () => ({ queueMs: 1_000, runMs: 12_000 }),
    makes: {
      kind: 'image',
      image: (i) => ({ ...imageSize(i.aspect_ratio, i.resolution), format: i.output_format === 'jpeg' ? 'jpeg' : 'png', prompt: i.prompt, references: [] }),
    },
  },
});
