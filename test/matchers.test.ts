import { describe, expect, it } from 'vitest';
import { toToolError } from '../src/calls/respond.js';
import { KlingError } from '../src/errors.js';
import { createLogger } from '../src/util/log.js';

const refusal = toToolError(new KlingError('spend_limit', 'Over the spend limit.'), createLogger('silent'));
const success = { content: [{ type: 'text' as const, text: 'Video ready.' }] };

describe('toBeToolError', () => {
  it('passes on a tool error with that code, and only then', () => {
    expect(refusal).toBeToolError('spend_limit');
    expect(refusal).not.toBeToolError('declined');
    expect(success).not.toBeToolError('spend_limit');
  });

  it('says on failure what it got and what the tool said', () => {
    expect(() => expect(success).toBeToolError('spend_limit')).toThrow(/code "spend_limit", got a success; the tool said:\nVideo ready\./);
    expect(() => expect(refusal).toBeToolError('declined')).toThrow(
      /code "declined", got a tool error with code "spend_limit"; the tool said:\nOver the spend limit\./,
    );
  });
});
