/**
 * What a completed RunComfy request answers in `output`: the envelope every
 * model's schema publishes (single or multiple video and image URLs, and audio,
 * which RunComfy sends as one URL or a list). The client reads results with it
 * before it knows which model a request was for.
 */
import { z } from 'zod';
import type { OutputKind } from './model.js';

/** The output object of a completed request (the seed's output schema, and `audio`), tolerant of extra keys. */
export const modelOutputSchema = z
  .looseObject({
    video: z.string().optional().describe('single video URL'),
    videos: z.array(z.string()).optional().describe('multiple video URLs'),
    image: z.string().optional().describe('single image URL'),
    images: z.array(z.string()).optional().describe('multiple image URLs'),
    audio: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('audio URL, or several'),
  })
  // zod writes a loose object's JSON Schema as `additionalProperties: {}`, which strict clients (MCP Inspector
  // --strict) flag; `true` says the same thing plainly. Metadata is merged into the JSON Schema zod emits.
  .meta({ additionalProperties: true });
export type ModelOutput = z.output<typeof modelOutputSchema>;

/** Every media URL of an output, videos first, then images, then audio, without repeats. */
export function outputUrls(output: ModelOutput | undefined): { url: string; kind: OutputKind }[] {
  if (!output) return [];
  const seen = new Set<string>();
  const list: { url: string; kind: OutputKind }[] = [];
  const add = (urls: string | string[] | undefined, kind: OutputKind) => {
    for (const url of [urls ?? []].flat()) {
      if (url && !seen.has(url)) {
        seen.add(url);
        list.push({ url, kind });
      }
    }
  };
  add(output.video, 'video');
  add(output.videos, 'video');
  add(output.image, 'image');
  add(output.images, 'image');
  add(output.audio, 'audio');
  return list;
}
