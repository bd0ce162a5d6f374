/**
 * ElevenLabs music on RunComfy, the music model (registry.ts): its schema as
 * RunComfy's catalog publishes it. A track is one output, at the price its
 * model endpoint publishes (none is published elsewhere). Soundtracks ask it
 * for MP3, which a film takes without re-encoding.
 */
import { defineModel } from './define.js';
import type { PublishedSchema } from './schema.js';

// prettier-ignore
const SCHEMA = {
  "properties": {
    "force_instrumental": {
      "default": false,
      "description": "Generate instrumental only without vocals",
      "type": "boolean"
    },
    "music_length_ms": {
      "default": 40000,
      "description": "Output duration in milliseconds (5000-300000 ms, i.e. 5s-300s)",
      "maximum": 300000,
      "minimum": 5000,
      "type": "integer"
    },
    "output_format": {
      "default": "mp3_standard",
      "description": "Output format (see options below)",
      "enum": [
        "mp3_standard",
        "mp3_high_quality",
        "wav_16khz",
        "wav_22khz",
        "wav_24khz",
        "wav_cd_quality"
      ],
      "type": "string"
    },
    "prompt": {
      "default": "",
      "description": "Style description and lyrics with structure markers",
      "type": "string"
    }
  },
  "required": [
    "prompt"
  ],
  "type": "object"
} as const satisfies PublishedSchema;

export const elevenlabsMusicGeneration = defineModel({
  id: 'elevenlabs/elevenlabs/music-generation',
  key: 'elevenlabs-music-generation',
  title: 'ElevenLabs music (RunComfy)',
  name: 'ElevenLabs Music',
  schema: SCHEMA,
  makes: 'audio',
  price: { unit: 'output', units: () => 1 },
  media: {},
  words: {
    prompt: { what: 'describing the music', empty: 'describe the music (style, mood, instruments).', maxLength: 4000 },
  },
  expectedRunMs: 30_000,
  simulator: {
    price: { base_price_usd: 0.5, price_unit: 'output', pricing_note: 'Per generated track.' },
    timing: (i) => ({ queueMs: 1_000, runMs: 10_000 + i.music_length_ms / 10 }),
    makes: { kind: 'audio', audio: (i) => ({ seconds: i.music_length_ms / 1000 }) },
  },
});
