/**
 * Nano Banana 2 Lite edit on RunComfy: the Nano Banana family's reference
 * endpoint (1–10 images in `image_urls`; RunComfy publishes no rules for
 * them). Its price is read from its model endpoint at run time.
 */
import { defineModel } from './define.js';
import { imageSize } from './image-family.js';
import type { PriceRule } from './model.js';
import type { FieldWords, PublishedSchema } from './schema.js';

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
    },
    "image_urls": {
      "format": "image_uris",
      "maxItems": 10,
      "minItems": 1,
      "type": "array"
    }
  },
  "required": [
    "prompt",
    "image_urls"
  ]
} as const satisfies PublishedSchema;

/** Per image, at the base price its model endpoint publishes (none is published elsewhere). */
export const NANO_BANANA_PRICE: PriceRule<unknown> = { unit: 'image', units: () => 1 };

export const NANO_BANANA_PROMPT: FieldWords = { what: 'describing the picture', empty: 'describe the picture to make.', maxLength: 4000 };

export const nanoBanana2LiteEdit = defineModel({
  id: 'google/nano-banana-2-lite/edit',
  key: 'nano-banana-2-lite-edit',
  title: 'Nano Banana 2 Lite edit (RunComfy)',
  name: 'Nano Banana 2 Lite',
  schema: SCHEMA,
  makes: 'image',
  price: NANO_BANANA_PRICE,
  media: { image_urls: { kind: 'image', types: ['jpg', 'jpeg', 'png', 'webp'] } },
  words: { prompt: NANO_BANANA_PROMPT, image_urls: { purpose: 'Reference images (a character sheet, a place)' } },
  expectedRunMs: 15_000,
  simulator: {
    price: { base_price_usd: 0.03, price_unit: 'image', pricing_note: 'Per image.' },
    timing: () => ({ queueMs: 1_000, runMs: 10_000 }),
    makes: { kind: 'image', image: (i) => ({ ...imageSize(i.aspect_ratio, undefined), format: 'png', prompt: i.prompt, references: i.image_urls }) },
  },
});
