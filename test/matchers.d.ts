/** Types for the matchers test/setup.ts adds. */
import 'vitest';
import type { ErrorCode } from '../src/errors.js';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unused-vars -- repeats vitest's own declaration, to merge with it
  interface Matchers<T = any> {
    /** The tool answered isError with this error code (`_meta["kling-o1-mcp/error"].code`). */
    toBeToolError(code: ErrorCode): void;
  }
}
