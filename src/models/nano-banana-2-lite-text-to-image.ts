/**
 * Nano Banana 2 Lite text-to-image on RunComfy (a second keyframe family,
 * chosen by `model`): its schema as RunComfy's catalog publishes it. Its
 * price is not published: it is read from its model endpoint at run time.
 */
import { defineModel } from './define.js';
import { imageSize } from './image-family.js';
import { NANO_BANANA_PRICE, NANO_BANANA_PROMPT } from './nano-banana-2-lite-edit.js';
import type { PublishedSchema } from './schema.js';

// prettier-ignore
const SCHEMA = {
  "type": "object",
  "properties": {
    "prompt": {
      "default": "",
      "type": "string"
    },
    "aspect_ratio": {
      "default": "auto",
      "enum": [
        "auto",
        "21:9",
        "16:9",
        "3:2",
        "4:3",
        "5:4",
        "1:1",
        "4:5",
        "3:4",
        "2:3",
        "9:16",
        "4:1",
        "1:4",
        "8:1",
        "1:8"
      ],
      "type": "string"
    }
  },
  "required": [
    "prompt"
  ]
} as const satisfies PublishedSchema;

export const nanoBanana2LiteTextToImage = defineModel({
  id: 'google/nano-banana-2-lite/text-to-image',
  key: 'nano-banana-2-lite-text-to-image',
  title: 'Nano Banana 2 Lite text-to-image (RunComfy)',
  name: 'Nano Banana 2 Lite',
  schema: SCHEMA,
  makes: 'image',
  price: NANO_BANANA_PRICE,
  media: {},
  words: { prompt: NANO_BANANA_PROMPT },
  expectedRunMs: 12_000,
  simulator: {
    price: { base_price_usd: 0.03, price_unit: 'image', pricing_note: 'Per image.' },
    timing: () => ({ queueMs: 1_000, runMs: 8_000 }),
    makes: { kind: 'image', image: (i) => ({ ...imageSize(i.aspect_ratio, undefined), format: 'png', prompt: i.prompt, references: [] }) },
  },
});
