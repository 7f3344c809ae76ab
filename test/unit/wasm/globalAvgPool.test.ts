/**
 * The globalAvgPool WebAssembly kernel (plain and relaxed SIMD) against the reference globalAvgPool:
 * randomized pixel and channel counts, strided pixels, channel sub-ranges, MobileNet's head.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globalAvgPool } from '../../../src/kernels/ref/index.js';
import { GLOBAL_AVG_POOL_DESC_BYTES, writeGlobalAvgPoolDesc } from '../../../src/kernels/wasm/globalAvgPool.js';
import type { KernelVariant } from '../../../src/kernels/wasm/module.js';
import { freshArena, guarded, kernels, MemoryCheck, Random, randomChunks, stridedData, VARIANTS } from './support.js';

function runCase(variant: KernelVariant, height: number, width: number, channels: number, stride: number, chunks: ReadonlyArray<readonly [number, number]>, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const arena = freshArena(k);
  const pixels = height * width;
  const input = rng.array(pixels * channels, 4); // (1, H, W, C)
  const expected = new Float32Array(channels);
  globalAvgPool(input, expected, { batch: 1, height, width, channels });

  const inPtr = guarded(arena, pixels * stride, stridedData(input, pixels, channels, stride));
  const outPtr = guarded(arena, channels);
  const calls = chunks.map(([c0, c1]) => {
    const at = arena.allocBytes(GLOBAL_AVG_POOL_DESC_BYTES);
    writeGlobalAvgPoolDesc(arena.view(), at, { input: inPtr, output: outPtr, pixels, channels, stride, channelStart: c0, channelEnd: c1 });
    return { at, c0, c1 };
  });
  arena.alloc(16);
  const check = new MemoryCheck(arena);
  for (const call of calls) {
    k.exports.globalAvgPool(call.at);
    for (let c = call.c0; c < call.c1; c++) check.expect(outPtr + c * 4, expected[c]!);
    check.verify(`${variant} ${height}×${width}×${channels} stride ${stride}, after channels [${call.c0}, ${call.c1})`, 1e-5);
  }
}

for (const variant of VARIANTS) {
  test(`globalAvgPool (${variant}) matches the reference on randomized shapes and channel ranges`, () => {
    const rng = new Random(variant === 'simd' ? 41 : 42);
    for (let trial = 0; trial < 100; trial++) {
      const channels = rng.int(1, 6) === 1 ? rng.int(38, 90) : rng.int(1, 37);
      const stride = channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5));
      runCase(variant, rng.int(1, 9), rng.int(1, 9), channels, stride, randomChunks(rng, channels, 4), 500 + trial);
    }
  });

  test(`globalAvgPool (${variant}) on MobileNet heads`, () => {
    runCase(variant, 7, 7, 1280, 1280, [[0, 640], [640, 1280]], 600);
    runCase(variant, 7, 7, 1024, 1024, [[0, 1024]], 601);
    runCase(variant, 3, 3, 1280, 1280, [[0, 1], [1, 1279], [1279, 1280]], 602);
    runCase(variant, 112, 112, 35, 40, [[0, 35]], 603);
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
