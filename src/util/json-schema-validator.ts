/**
 * The JSON Schema checks the MCP SDK's server makes (it validates a form
 * elicitation's answer against the schema it asked with), run on zod, which the
 * server loads anyway. The SDK's default is ajv: a quarter of a megabyte the bin
 * would parse at every start for checks it seldom makes (scripts/bundle-server.mjs
 * leaves it out).
 */
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { z } from 'zod';

export class ZodJsonSchemaValidator implements jsonSchemaValidator {
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    const parser = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    return (input) => {
      const r = parser.safeParse(input);
      return r.success
        ? { valid: true, data: r.data as T, errorMessage: undefined }
        : { valid: false, data: undefined, errorMessage: z.prettifyError(r.error) };
    };
  }
}
