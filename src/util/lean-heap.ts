/**
 * V8 settings for a long-running server whose own heap is small. They apply
 * only to what V8 does after them, so the bin runs this before anything else:
 * scripts/bundle-server.mjs builds it as dist/chunks/lean-heap.js, the
 * bin's first import (a run from source, e.g. the tests' in-memory servers,
 * keeps V8's defaults). On the bench's 12-shot board they took about 35 MB
 * off the server's peak RSS (about 157 MB without them, 119–124 with):
 * - The young generation keeps the size it has instead of doubling up to
 *   2×16 MB after a burst of work. A small one is also collected often, and
 *   that is when dead ArrayBuffers (image and clip bytes) are freed: stitching
 *   a film otherwise piles up ~30 MB of them between two collections.
 * - WebAssembly stays on V8's baseline compiler (Liftoff). undici's HTTP parser (llhttp)
 *   is WebAssembly; once it is hot, the optimizing compiler rebuilds it on a
 *   background thread, holding ~25 MB of native memory for a moment, which a
 *   server parsing a few MB a minute has no use for.
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--semi-space-growth-factor=1');
// Not --liftoff-only, V8's testing flag, which leaves a function Liftoff cannot compile with no compiler at all:
// these two only stop the tier-up, on hot functions (dynamic tiering) and the eager one it replaced.
v8.setFlagsFromString('--no-wasm-dynamic-tiering');
v8.setFlagsFromString('--no-wasm-tier-up');
