/**
 * The bnBackwardReduce WebAssembly kernel (plain and relaxed SIMD) against exact float64 sums of the
 * reference's masked gradient (activationBackward: 0 where y ≤ 0 for ReLU, where y ≤ 0 or y ≥ 6 for
 * ReLU6, none for linear; "y ≤ lo or y ≥ hi" for other bounds): randomized pixel and channel counts,
 * strides, pixel and channel sub-ranges, parts summed with `accumulate`, in each case also against the
 * reference batchNormBackward's dγ, dβ of the same pixels; and dγ, dβ against the reference
 * batchNormBackward on MobileNet-sized batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchNormBackward } from '../../../src/kernels/ref/index.js';
import { BN_BACKWARD_REDUCE_DESC_BYTES, writeBnBackwardReduceDesc } from '../../../src/kernels/wasm/bnBackwardReduce.js';
import { trainingScratchFloats } from '../../../src/kernels/wasm/channelStats.js';
import { runBnBackwardReduce } from './cases/bnBackwardReduce.js';
import { batchNormData, CLAMPS, freshArena, kernels, Random, randomChunks, VARIANTS } from './support.js';

for (const variant of VARIANTS) {
  test(`bnBackwardReduce (${variant}) matches exact float64 sums on randomized shapes, sub-ranges and clamps`, () => {
    const rng = new Random(variant === 'simd' ? 141 : 142);
    for (let trial = 0; trial < 150; trial++) {
      const pixels = rng.int(1, 8) === 1 ? rng.int(2, 4) : rng.int(2, 300);
      const pixelStart = rng.int(0, 2) === 0 ? rng.int(0, pixels - 1) : 0;
      const pixelEnd = rng.int(0, 2) === 0 ? rng.int(pixelStart, pixels) : pixels;
      const channels = rng.int(1, 6) === 1 ? rng.int(38, 100) : rng.int(1, 37);
      const cuts: number[] = [];
      if (pixelEnd - pixelStart > 2 && rng.int(0, 2) === 0) cuts.push(rng.int(pixelStart + 1, pixelEnd - 1));
      runBnBackwardReduce(variant, {
        pixels, pixelStart, pixelEnd, channels, stride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)), clamp: rng.pick(CLAMPS),
        accumulate: rng.int(0, 3) === 0, channelChunks: randomChunks(rng, channels, 3), pixelCuts: cuts,
      }, 14000 + trial);
    }
  });

  test(`bnBackwardReduce (${variant}) gives the reference batchNormBackward's dγ and dβ on MobileNet-sized batches`, () => {
    const k = kernels(variant);
    const rng = new Random(variant === 'simd' ? 143 : 144);
    for (const [P, C, clamp] of [[64 * 28 * 28, 16, CLAMPS[2]!], [64 * 14 * 14, 96, CLAMPS[2]!], [64 * 4 * 4, 112, CLAMPS[0]!], [64 * 7 * 7, 30, CLAMPS[1]!]] as const) {
      const arena = freshArena(k);
      const data = batchNormData(rng, P, C, clamp);
      const gradGamma = new Float32Array(C);
      const gradBeta = new Float32Array(C);
      batchNormBackward(data.x, data.dz, null, gradGamma, gradBeta, { gamma: data.gamma, beta: data.beta, epsilon: 1e-3 }, { mean: data.mean, invStd: data.invStd }, { count: P, channels: C });
      const linear = clamp.name === 'linear';
      const xPtr = arena.put(data.x);
      const yPtr = linear ? 0 : arena.put(data.y);
      const gyPtr = arena.put(data.gradOutput);
      const meanPtr = arena.put(data.mean);
      const invStdPtr = arena.put(data.invStd);
      const sums = arena.alloc(4 * C);
      // Two threads splitting the pixels, each with its own sums, added up afterwards.
      const half = Math.floor(P / 2);
      const partial = arena.alloc(4 * C);
      const scratch = arena.alloc(trainingScratchFloats(C));
      for (const [p0, p1, out] of [[0, half, sums], [half, P, partial]] as const) {
        const at = arena.allocBytes(BN_BACKWARD_REDUCE_DESC_BYTES);
        writeBnBackwardReduceDesc(arena.view(), at, {
          input: xPtr, activation: yPtr, gradOutput: gyPtr, mean: meanPtr, invStd: invStdPtr, sumDz: out, sumDzXhat: out + 8 * C, scratch,
          pixelStart: p0, pixelEnd: p1, channels: C, stride: C, channelStart: 0, channelEnd: C, accumulate: false,
          clampMin: linear ? -Infinity : clamp.min, clampMax: linear ? Infinity : clamp.max,
        });
        k.exports.bnBackwardReduce(at);
      }
      const a = new Float64Array(k.memory.buffer, sums, 2 * C);
      const b = new Float64Array(k.memory.buffer, partial, 2 * C);
      let dzScale = 0;
      for (let i = 0; i < P * C; i++) dzScale = Math.max(dzScale, Math.abs(data.dz[i]!));
      for (let ch = 0; ch < C; ch++) {
        const label = `${variant} P=${P} C=${C} ${clamp.name} channel ${ch}`;
        // Tolerance: 1e-5 of the sum's natural size √P·max|dz| (the reference rounds to float32 too).
        const tolerance = 1e-5 * Math.sqrt(P) * dzScale;
        assert.ok(Math.abs(a[ch]! + b[ch]! - gradBeta[ch]!) <= tolerance, `${label}: dβ ${a[ch]! + b[ch]!} vs ${gradBeta[ch]}`);
        assert.ok(Math.abs(a[C + ch]! + b[C + ch]! - gradGamma[ch]!) <= tolerance, `${label}: dγ ${a[C + ch]! + b[C + ch]!} vs ${gradGamma[ch]}`);
      }
    }
  });
}

test('writeBnBackwardReduceDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(128));
  const good = {
    input: 16, activation: 0, gradOutput: 32, mean: 48, invStd: 64, sumDz: 80, sumDzXhat: 96, scratch: 112, pixelStart: 0, pixelEnd: 10, channels: 4, stride: 4,
    channelStart: 0, channelEnd: 4, accumulate: false, clampMin: 0, clampMax: 6,
  };
  writeBnBackwardReduceDesc(view, 0, good);
  assert.equal(view.getFloat32(60, true), 0);
  for (const [patch, pattern] of [
    [{ sumDzXhat: 100 }, /sumDzXhat = 100, expected an 8-byte aligned/],
    [{ channelStart: 5 }, /channelStart ≤ channelEnd/],
    [{ clampMax: Number.NaN }, /clampMin ≤ clampMax/],
    [{ accumulate: 0 }, /accumulate = 0, expected a boolean/],
  ] as const) {
    assert.throws(() => writeBnBackwardReduceDesc(view, 0, { ...good, ...patch } as typeof good), pattern);
  }
});
