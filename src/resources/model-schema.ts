/** The model's schema as a resource, derived from the one model module. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ACCEPTED_IMAGE_TYPES, DURATIONS, IMAGE_RULES, MODEL_ID, MODEL_TITLE, seedInputJsonSchema, seedOutputJsonSchema } from '../model/kling-o1.js';
import { jsonContents } from './read.js';

export const MODEL_SCHEMA_URI = 'kling://model/schema';

export function modelSchemaDocument() {
  return {
    model: MODEL_ID,
    title: MODEL_TITLE,
    input: seedInputJsonSchema(),
    output: seedOutputJsonSchema(),
    image_rules: IMAGE_RULES,
    accepted_image_types: ACCEPTED_IMAGE_TYPES,
    durations: DURATIONS,
  };
}

export function registerModelSchema(server: McpServer): void {
  server.registerResource(
    'model-schema',
    MODEL_SCHEMA_URI,
    {
      title: `${MODEL_TITLE}: input and output schema`,
      description: 'Input fields, image rules (with the exact error texts) and the output shape of Kling O1 image-to-video.',
      mimeType: 'application/json',
    },
    async (uri) => jsonContents(uri.href, modelSchemaDocument()),
  );
}
