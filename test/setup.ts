/** Runs before every test file: the project's own matchers (typed in matchers.d.ts). */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import type { ErrorCode } from '../src/errors.js';
import { errorCode, textOf } from './tool-result.js';

expect.extend({
  /** A tool error with this code: isError set and the code in `_meta`. On failure, shows what the tool said. */
  toBeToolError(received: CallToolResult, code: ErrorCode) {
    const actual = errorCode(received);
    const pass = received.isError === true && actual === code;
    const what = received.isError === true ? `a tool error with code ${JSON.stringify(actual)}` : 'a success';
    return {
      pass,
      message: () =>
        pass
          ? `expected anything but a tool error with code ${JSON.stringify(code)}; the tool said:\n${textOf(received)}`
          : `expected a tool error with code ${JSON.stringify(code)}, got ${what}; the tool said:\n${textOf(received)}`,
      actual: { isError: received.isError, code: actual },
      expected: { isError: true, code },
    };
  },
});
