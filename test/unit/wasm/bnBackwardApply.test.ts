/**
 * The bnBackwardApply WebAssembly kernel (plain and relaxed SIMD): against the formula in float64 and
 * the reference batchNormBackward on randomized pixel and channel counts, strides, pixel sub-ranges,
 * each clamp, in place over gradOutput, input or activation; and, after
 * bnBackwardReduce, the whole backward of training-mode batch norm + activation against the
 * reference activationBackward + batchNormBackward on MobileNet-sized batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchNormBackward } from '../../../src/kernels/ref/index.js';
import { BN_BACKWARD_APPLY_DESC_BYTES, writeBnBackwardApplyDesc } from '../../../src/kernels/wasm/bnBackwardApply.js';
import { BN_BACKWARD_REDUCE_DESC_BYTES, writeBnBackwardReduceDesc } from '../../../src/kernels/wasm/bnBackwardReduce.js';
import { trainingScratchFloats } from '../../../src/kernels/wasm/channelStats.js';
import { runBnBackwardApply } from './cases/bnBackwardApply.js';
import { batchNormData, CLAMPS, freshArena, kernels, Random, randomChunks, VARIANTS } from './support.js';

for (const variant of VARIANTS) {
  test(`bnBackwardApply (${variant}) matches the formula and the reference on randomized shapes, sub-ranges, clamps, in place over each input`, () => {
    const rng = new Random(variant === 'simd' ? 151 : 152);
    for (let trial = 0; trial < 150; trial++) {
      const pixels = rng.int(1, 8) === 1 ? rng.int(2, 4) : rng.int(2, 200);
      const channels = rng.int(1, 6) === 1 ? rng.int(38, 100) : rng.int(1, 37);
      const clamp = rng.pick(CLAMPS);
      const modes = clamp.name === 'linear' ? ['none', 'gradOutput', 'input'] as const : ['none', 'gradOutput', 'input', 'activation'] as const;
      runBnBackwardApply(variant, {
        pixels, channels, stride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)), clamp, inPlace: rng.pick(modes),
        pixelChunks: randomChunks(rng, pixels, 4),
      }, 15000 + trial);
    }
  });

  test(`bnBackwardReduce + bnBackwardApply (${variant}) = the reference activationBackward + batchNormBackward`, () => {
    const k = kernels(variant);
    const rng = new Random(variant === 'simd' ? 153 : 154);
    for (const [P, C, clamp] of [[64 * 14 * 14, 48, CLAMPS[2]!], [64 * 4 * 4, 112, CLAMPS[0]!], [64 * 7 * 7, 30, CLAMPS[1]!], [7, 5, CLAMPS[2]!]] as const) {
      const arena = freshArena(k);
      const data = batchNormData(rng, P, C, clamp);
      const expected = new Float32Array(P * C);
      batchNormBackward(data.x, data.dz, expected, null, null, { gamma: data.gamma, beta: data.beta, epsilon: 1e-3 }, { mean: data.mean, invStd: data.invStd }, { count: P, channels: C });
      const linear = clamp.name === 'linear';
      const xPtr = arena.put(data.x);
      const yPtr = linear ? 0 : arena.put(data.y);
      const gyPtr = arena.put(data.gradOutput);
      const meanPtr = arena.put(data.mean);
      const invStdPtr = arena.put(data.invStd);
      const gammaPtr = arena.put(data.gamma);
      const sums = arena.alloc(4 * C);
      const scratch = arena.alloc(trainingScratchFloats(C));
      const bounds = { clampMin: linear ? -Infinity : clamp.min, clampMax: linear ? Infinity : clamp.max };
      const reduceAt = arena.allocBytes(BN_BACKWARD_REDUCE_DESC_BYTES);
      writeBnBackwardReduceDesc(arena.view(), reduceAt, {
        input: xPtr, activation: yPtr, gradOutput: gyPtr, mean: meanPtr, invStd: invStdPtr, sumDz: sums, sumDzXhat: sums + 8 * C, scratch,
        pixelStart: 0, pixelEnd: P, channels: C, stride: C, channelStart: 0, channelEnd: C, accumulate: false, ...bounds,
      });
      k.exports.bnBackwardReduce(reduceAt);
      const applyAt = arena.allocBytes(BN_BACKWARD_APPLY_DESC_BYTES);
      writeBnBackwardApplyDesc(arena.view(), applyAt, {
        input: xPtr, activation: yPtr, gradOutput: gyPtr, gradInput: gyPtr, mean: meanPtr, invStd: invStdPtr, gamma: gammaPtr,
        sumDz: sums, sumDzXhat: sums + 8 * C, scratch, count: P, pixelStart: 0, pixelEnd: P, channels: C, stride: C, ...bounds,
      });
      k.exports.bnBackwardApply(applyAt);
      const got = arena.f32(gyPtr, P * C);
      let worst = 0;
      for (let i = 0; i < P * C; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
      assert.ok(worst <= 1e-4, `${variant} P=${P} C=${C} ${clamp.name}: relative diff ${worst}`);
    }
  });

  test(`bnBackwardApply (${variant}) passes the gradient where the activation output is NaN (like the reference)`, () => {
    const k = kernels(variant);
    const arena = freshArena(k);
    const C = 4;
    const y = Float32Array.from([Number.NaN, 0, 6, 3]);
    const x = Float32Array.from([1, 2, 3, 4]);
    const gy = Float32Array.from([1, 1, 1, 1]);
    const ptr = (a: Float32Array) => arena.put(a);
    const [xPtr, yPtr, gyPtr, gxPtr] = [ptr(x), ptr(y), ptr(gy), ptr(new Float32Array(4))];
    const ones = ptr(new Float32Array(C).fill(1));
    const zeros = ptr(new Float32Array(C));
    const sums = arena.alloc(4 * C);
    new Float64Array(k.memory.buffer, sums, 2 * C).fill(0);
    const at = arena.allocBytes(BN_BACKWARD_APPLY_DESC_BYTES);
    writeBnBackwardApplyDesc(arena.view(), at, {
      input: xPtr, activation: yPtr, gradOutput: gyPtr, gradInput: gxPtr, mean: zeros, invStd: ones, gamma: ones, sumDz: sums, sumDzXhat: sums + 8 * C,
      scratch: arena.alloc(trainingScratchFloats(C)), count: 1, pixelStart: 0, pixelEnd: 1, channels: C, stride: C, clampMin: 0, clampMax: 6,
    });
    k.exports.bnBackwardApply(at);
    assert.deepEqual(Array.from(arena.f32(gxPtr, C)), [1, 0, 0, 1]); // NaN passes, 0 and 6 (ReLU6's kinks) do not
  });
}

test('writeBnBackwardApplyDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(128));
  const good = {
    input: 16, activation: 0, gradOutput: 32, gradInput: 32, mean: 48, invStd: 64, gamma: 72, sumDz: 80, sumDzXhat: 96, scratch: 112, count: 10,
    pixelStart: 0, pixelEnd: 10, channels: 4, stride: 4, clampMin: -Infinity, clampMax: Infinity,
  };
  writeBnBackwardApplyDesc(view, 0, good);
  assert.equal(view.getInt32(40, true), 10);
  for (const [patch, pattern] of [
    [{ count: 0 }, /count = 0, expected an integer ≥ 1/],
    [{ sumDz: 84 }, /sumDz = 84, expected an 8-byte aligned/],
    [{ stride: 3 }, /stride = 3, expected ≥ channels/],
  ] as const) {
    assert.throws(() => writeBnBackwardApplyDesc(view, 0, { ...good, ...patch }), pattern);
  }
});
