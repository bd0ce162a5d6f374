/**
 * Each registered model's schema as a resource, kling://models/{key}/schema
 * (the model's short key: its RunComfy id has slashes), derived from its
 * module; kling://model/schema is kept as an alias of the default model's.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { KlingError } from '../errors.js';
import type { AnyModel, ImageSpec } from '../models/model.js';
import { DEFAULT_MODEL, modelByKey, models } from '../models/registry.js';
import { toResourceError } from '../calls/respond.js';
import { jsonContents } from './read.js';

/** The default model's schema, at the URI it had before there were several. */
export const MODEL_SCHEMA_URI = 'kling://model/schema';

export function modelSchemaUri(model: AnyModel): string {
  return `kling://models/${model.key}/schema`;
}

const unique = <T>(items: T[]): T[] => [...new Map(items.map((i) => [JSON.stringify(i), i])).values()];

export function modelSchemaDocument(model: AnyModel = DEFAULT_MODEL) {
  const images = Object.values<ImageSpec>(model.images);
  return {
    model: model.id,
    key: model.key,
    title: model.title,
    makes: model.makes,
    price_unit: model.price.unit,
    /** The input schema exactly as RunComfy publishes it. */
    input: model.schema,
    /** What this server takes for it: the input read from that schema, with its limits and descriptions. */
    arguments: z.toJSONSchema(z.object(model.inputShape), { io: 'input' }),
    /** Each media field: what it holds, whether it is a list, the file types it accepts. */
    media: Object.fromEntries(Object.entries(model.media).map(([field, m]) => [field, { kind: m.kind, list: m.list, types: m.types }])),
    output: { output: z.toJSONSchema(model.output) },
    /** Every image field's rules, once each (a field's own list is its `validations` in `input`). */
    image_rules: unique(images.flatMap((spec) => [...spec.rules])),
    accepted_image_types: unique(images.flatMap((spec) => [...spec.types])),
    ...(model.durations && { durations: model.durations }),
  };
}

const description = (model: AnyModel) =>
  `Input schema as RunComfy publishes it, the arguments this server takes, image rules (with the exact error texts), price unit and output of ${model.title}.`;

export function registerModelSchema(server: McpServer, app: AppContext): void {
  server.registerResource(
    'model-schema',
    MODEL_SCHEMA_URI,
    {
      title: `${DEFAULT_MODEL.title}: input and output schema`,
      description: `${description(DEFAULT_MODEL)} The same as ${modelSchemaUri(DEFAULT_MODEL)}.`,
      mimeType: 'application/json',
    },
    (uri) => jsonContents(uri.href, modelSchemaDocument()),
  );

  server.registerResource(
    'model-schemas',
    new ResourceTemplate('kling://models/{model}/schema', {
      list: () => ({
        resources: models().map((m) => ({ uri: modelSchemaUri(m), name: m.key, title: m.title, description: description(m), mimeType: 'application/json' })),
      }),
      complete: { model: (typed) => models().flatMap((m) => (m.key.startsWith(typed) ? [m.key] : [])) },
    }),
    {
      title: 'A model: input and output schema',
      description: `One model's input fields, image rules and output shape, by its short key (e.g. ${DEFAULT_MODEL.key}).`,
      mimeType: 'application/json',
    },
    (uri, vars) => {
      const key = String(vars.model);
      const model = modelByKey(key);
      if (!model) {
        const known = models().map((m) => m.key);
        throw toResourceError(new KlingError('not_found', `No model "${key}" is known to this server; the known ones: ${known.join(', ')}.`), app.log);
      }
      return jsonContents(uri.href, modelSchemaDocument(model));
    },
  );
}
