/** The JSON Schema validator the server gives the SDK in ajv's place (src/util/json-schema-validator.ts), on zod. */
import { describe, expect, it } from 'vitest';
import { ZodJsonSchemaValidator } from '../src/util/json-schema-validator.js';

describe('the JSON Schema validator the server passes the SDK', () => {
  const confirm = {
    type: 'object',
    properties: { confirm: { type: 'boolean', title: 'Go ahead', default: false }, note: { type: 'string', maxLength: 5 } },
    required: ['confirm'],
  } as const;

  it('accepts an answer that fits the schema, as it is; a missing field with a default gets it (where ajv would refuse)', () => {
    const check = new ZodJsonSchemaValidator().getValidator<{ confirm: boolean }>(confirm);
    expect(check({ confirm: true, note: 'ok' })).toEqual({ valid: true, data: { confirm: true, note: 'ok' }, errorMessage: undefined });
    expect(check({})).toEqual({ valid: true, data: { confirm: false }, errorMessage: undefined });
  });

  it('refuses one that does not, saying which field and why', () => {
    const check = new ZodJsonSchemaValidator().getValidator(confirm);
    const wrongType = check({ confirm: 'yes' });
    expect(wrongType.valid).toBe(false);
    expect(wrongType.errorMessage).toMatch(/confirm/);
    expect(wrongType.errorMessage).toMatch(/boolean/);
    expect(check({ confirm: false, note: 'too long' }).errorMessage).toMatch(/note/);
  });
});
