/**
 * The globalAvgPoolBackward WebAssembly kernel (plain and relaxed SIMD) against the reference
 * globalAvgPoolBackward: randomized pixel and channel counts, strided pixels, pixel sub-ranges,
 * MobileNet heads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globalAvgPoolBackward } from '../../../src/kernels/ref/index.js';
import { GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES, writeGlobalAvgPoolBackwardDesc } from '../../../src/kernels/wasm/globalAvgPoolBackward.js';
import type { KernelVariant } from '../../../src/kernels/wasm/module.js';
import { freshArena, guarded, kernels, MemoryCheck, Random, randomChunks, VARIANTS } from './support.js';

function runCase(variant: KernelVariant, height: number, width: number, channels: number, stride: number, chunks: ReadonlyArray<readonly [number, number]>, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const arena = freshArena(k);
  const pixels = height * width;
  const gradOutput = rng.array(channels, 5);
  const expected = new Float32Array(pixels * channels);
  globalAvgPoolBackward(gradOutput, expected, { batch: 1, height, width, channels });
  const gyPtr = guarded(arena, channels, gradOutput);
  const gxPtr = guarded(arena, pixels * stride);
  const calls = chunks.map(([p0, p1]) => {
    const at = arena.allocBytes(GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES);
    writeGlobalAvgPoolBackwardDesc(arena.view(), at, { gradOutput: gyPtr, gradInput: gxPtr, pixels, channels, stride, pixelStart: p0, pixelEnd: p1 });
    return { at, p0, p1 };
  });
  arena.alloc(16);
  const check = new MemoryCheck(arena);
  for (const { at, p0, p1 } of calls) {
    k.exports.globalAvgPoolBackward(at);
    for (let p = p0; p < p1; p++) {
      for (let c = 0; c < channels; c++) check.expect(gxPtr + (p * stride + c) * 4, expected[p * channels + c]!);
    }
    if (p1 > p0) check.verify(`${variant} ${height}×${width}×${channels} stride ${stride}, after pixels [${p0}, ${p1})`, 1e-6);
  }
}

for (const variant of VARIANTS) {
  test(`globalAvgPoolBackward (${variant}) matches the reference on randomized shapes and pixel ranges`, () => {
    const rng = new Random(variant === 'simd' ? 171 : 172);
    for (let trial = 0; trial < 100; trial++) {
      const height = rng.int(1, 9);
      const width = rng.int(1, 9);
      const channels = rng.int(1, 6) === 1 ? rng.int(38, 90) : rng.int(1, 37);
      const stride = channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5));
      runCase(variant, height, width, channels, stride, randomChunks(rng, height * width, 4), 16000 + trial);
    }
  });

  test(`globalAvgPoolBackward (${variant}) on MobileNet heads`, () => {
    runCase(variant, 7, 7, 1280, 1280, [[0, 25], [25, 49]], 16500);
    runCase(variant, 4, 4, 1280, 1280, [[0, 16]], 16501);
    runCase(variant, 1, 1, 1024, 1024, [[0, 1]], 16502);
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
