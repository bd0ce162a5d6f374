/**
 * Seedream 5.0 Pro image-to-image on RunComfy: the Seedream family's reference
 * endpoint (1–10 images in `image`, each under RunComfy's own rules, pasted
 * verbatim in the schema's `validations`). Priced as text-to-image.
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
      "default": "1:1",
      "enum": [
        "auto",
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
    "resolution": {
      "default": "2K",
      "enum": [
        "1K",
        "2K"
      ],
      "type": "string"
    },
    "output_format": {
      "default": "png",
      "enum": [
        "png",
        "jpeg"
      ],
      "type": "string"
    },
    "image": {
      "format": "image_uris",
      "maxItems": 10,
      "minItems": 1,
      "type": "array",
      "validations": [
        {
          "validation_error": "File size must be less than 30 MB.",
          "validation_rule": "file_size_mb<",
          "validation_value": 30
        },
        {
          "validation_error": "The aspect ratio range should be 1:16 to 16:1.",
          "validation_rule": "width/height>",
          "validation_value": 0.0625
        },
        {
          "validation_error": "The aspect ratio range should be 1:16 to 16:1.",
          "validation_rule": "width/height<",
          "validation_value": 16
        },
        {
          "validation_error": "The uploaded image width and height must exceed 14 pixels.",
          "validation_rule": "width_pixels>",
          "validation_value": 14
        },
        {
          "validation_error": "The uploaded image width and height must exceed 14 pixels.",
          "validation_rule": "height_pixels>",
          "validation_value": 14
        }
      ]
    }
  },
  "required": [
    "prompt",
    "image"
  ]
} as const satisfies PublishedSchema;

/** Both Seedream endpoints: the text-to-image schema's resolution description prices the tiers. */
export const SEEDREAM_PRICE: PriceRule<{ resolution: string }> = {
  unit: 'image',
  units: () => 1,
  published: { usd: (i) => (i.resolution === '1K' ? 0.04 : 0.08), source: "Seedream 5.0 Pro's published schema (1K $0.040, 2K $0.080 per image)" },
};

/** The schema advises at most 600 English words; a longer prompt is stopped here, where it costs nothing. */
export const SEEDREAM_PROMPT: FieldWords = {
  what: 'describing the picture',
  empty: 'describe the picture to make.',
  maxLength: 4000,
};

export const seedream5ProImageToImage = defineModel({
  id: 'bytedance/seedream-5.0-pro/image-to-image',
  key: 'seedream-5-pro-image-to-image',
  title: 'Seedream 5.0 Pro image-to-image (RunComfy)',
  name: 'Seedream 5.0 Pro',
  schema: SCHEMA,
  makes: 'image',
  price: SEEDREAM_PRICE,
  media: { image: { kind: 'image', types: ['jpg', 'jpeg', 'png', 'webp'] } },
  words: { prompt: SEEDREAM_PROMPT, image: { purpose: 'Reference images (a character sheet, a place)' } },
  expectedRunMs: 25_000,
  simulator: {
    price: { base_price_usd: 0.04, price_unit: 'image', pricing_note: '1K $0.040, 2K $0.080 per image.' },
    timing: () => ({ queueMs: 1_000, runMs: 15_000 }),
    makes: {
      kind: 'image',
      image: (i) => ({
        ...imageSize(i.aspect_ratio, i.resolution),
        format: i.output_format === 'jpeg' ? 'jpeg' : 'png',
        prompt: i.prompt,
        references: i.image,
      }),
    },
  },
});
