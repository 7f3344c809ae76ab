/**
 * The globalAvgPool WebAssembly kernel (plain and relaxed SIMD) against the reference globalAvgPool:
 * randomized pixel and channel counts, strided pixels, channel sub-ranges, MobileNet's head.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeGlobalAvgPoolDesc } from '../../../src/kernels/wasm/globalAvgPool.js';
import { runGlobalAvgPool } from './cases/globalAvgPool.js';
import { Random, randomChunks, VARIANTS } from './support.js';

for (const variant of VARIANTS) {
  test(`globalAvgPool (${variant}) matches the reference on randomized shapes and channel ranges`, () => {
    const rng = new Random(variant === 'simd' ? 41 : 42);
    for (let trial = 0; trial < 100; trial++) {
      const channels = rng.int(1, 6) === 1 ? rng.int(38, 90) : rng.int(1, 37);
      const stride = channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5));
      runGlobalAvgPool(variant, { height: rng.int(1, 9), width: rng.int(1, 9), channels, stride, chunks: randomChunks(rng, channels, 4) }, 500 + trial);
    }
  });

  test(`globalAvgPool (${variant}) on MobileNet heads`, () => {
    runGlobalAvgPool(variant, { height: 7, width: 7, channels: 1280, stride: 1280, chunks: [[0, 640], [640, 1280]] }, 600);
    runGlobalAvgPool(variant, { height: 7, width: 7, channels: 1024, stride: 1024, chunks: [[0, 1024]] }, 601);
    runGlobalAvgPool(variant, { height: 3, width: 3, channels: 1280, stride: 1280, chunks: [[0, 1], [1, 1279], [1279, 1280]] }, 602);
    runGlobalAvgPool(variant, { height: 112, width: 112, channels: 35, stride: 40, chunks: [[0, 35]] }, 603);
  });
}

test('writeGlobalAvgPoolDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(64));
  const good = { input: 16, output: 32, pixels: 49, channels: 8, stride: 8, channelStart: 0, channelEnd: 8 };
  writeGlobalAvgPoolDesc(view, 0, good);
  assert.equal(view.getInt32(8, true), 49);
  assert.throws(() => writeGlobalAvgPoolDesc(view, 0, { ...good, channelEnd: 9 }), /channelEnd ≤ channels/);
  assert.throws(() => writeGlobalAvgPoolDesc(view, 0, { ...good, stride: 7 }), /stride = 7, expected ≥ channels/);
});
