/**
 * The JSON Schema validator the MCP SDK's server is given, so it builds no ajv
 * (a quarter of a megabyte the bin would parse at every start; scripts/
 * bundle-server.mjs leaves it out). The SDK would use it to check an answer to
 * Server.elicitInput; this server sends its confirmation request itself and
 * reads the answer with its own schema (tools/define.ts), so today nothing calls
 * it. Should something, it checks on zod, which the server loads anyway; unlike
 * ajv, zod fills in a field's `default` when the field is missing.
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
