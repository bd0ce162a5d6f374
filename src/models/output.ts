/**
 * What a completed RunComfy request answers in `output`: the envelope every
 * model's schema publishes (single or multiple video and image URLs). The
 * client reads results with it before it knows which model a request was for.
 */
import { z } from 'zod';

/** The output object of a completed request (the seed's output schema), tolerant of extra keys. */
export const modelOutputSchema = z
  .looseObject({
    video: z.string().optional().describe('single video URL'),
    videos: z.array(z.string()).optional().describe('multiple video URLs'),
    image: z.string().optional().describe('single image URL'),
    images: z.array(z.string()).optional().describe('multiple image URLs'),
  })
  // zod writes a loose object's JSON Schema as `additionalProperties: {}`, which strict clients (MCP Inspector
  // --strict) flag; `true` says the same thing plainly. Metadata is merged into the JSON Schema zod emits.
  .meta({ additionalProperties: true });
export type ModelOutput = z.output<typeof modelOutputSchema>;

/** Every media URL of an output, videos first, without repeats. */
export function outputUrls(output: ModelOutput | undefined): { url: string; kind: 'video' | 'image' }[] {
  if (!output) return [];
  const seen = new Set<string>();
  const list: { url: string; kind: 'video' | 'image' }[] = [];
  const add = (url: string | undefined, kind: 'video' | 'image') => {
    if (url && !seen.has(url)) {
      seen.add(url);
      list.push({ url, kind });
    }
  };
  add(output.video, 'video');
  output.videos?.forEach((u) => add(u, 'video'));
  add(output.image, 'image');
  output.images?.forEach((u) => add(u, 'image'));
  return list;
}
