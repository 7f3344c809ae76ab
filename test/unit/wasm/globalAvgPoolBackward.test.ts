/**
 * The globalAvgPoolBackward WebAssembly kernel (plain and relaxed SIMD) against the reference
 * globalAvgPoolBackward: randomized pixel and channel counts, strided pixels, pixel sub-ranges,
 * MobileNet heads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeGlobalAvgPoolBackwardDesc } from '../../../src/kernels/wasm/globalAvgPoolBackward.js';
import { runGlobalAvgPoolBackward } from './cases/globalAvgPool.js';
import { Random, randomChunks, VARIANTS } from './support.js';

for (const variant of VARIANTS) {
  test(`globalAvgPoolBackward (${variant}) matches the reference on randomized shapes and pixel ranges`, () => {
    const rng = new Random(variant === 'simd' ? 171 : 172);
    for (let trial = 0; trial < 100; trial++) {
      const height = rng.int(1, 9);
      const width = rng.int(1, 9);
      const channels = rng.int(1, 6) === 1 ? rng.int(38, 90) : rng.int(1, 37);
      const stride = channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5));
      runGlobalAvgPoolBackward(variant, { height, width, channels, stride, chunks: randomChunks(rng, height * width, 4) }, 16000 + trial);
    }
  });

  test(`globalAvgPoolBackward (${variant}) on MobileNet heads`, () => {
    runGlobalAvgPoolBackward(variant, { height: 7, width: 7, channels: 1280, stride: 1280, chunks: [[0, 25], [25, 49]] }, 16500);
    runGlobalAvgPoolBackward(variant, { height: 4, width: 4, channels: 1280, stride: 1280, chunks: [[0, 16]] }, 16501);
    runGlobalAvgPoolBackward(variant, { height: 1, width: 1, channels: 1024, stride: 1024, chunks: [[0, 1]] }, 16502);
  });
}

test('writeGlobalAvgPoolBackwardDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(64));
  const good = { gradOutput: 16, gradInput: 32, pixels: 49, channels: 8, stride: 8, pixelStart: 0, pixelEnd: 49 };
  writeGlobalAvgPoolBackwardDesc(view, 0, good);
  assert.equal(view.getInt32(8, true), 49);
  assert.throws(() => writeGlobalAvgPoolBackwardDesc(view, 0, { ...good, pixelEnd: 50 }), /pixelEnd ≤ pixels/);
  assert.throws(() => writeGlobalAvgPoolBackwardDesc(view, 0, { ...good, stride: 7 }), /stride = 7, expected ≥ channels/);
});
