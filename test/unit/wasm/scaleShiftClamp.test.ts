/**
 * The scaleShiftClamp WebAssembly kernel (plain and relaxed SIMD): against clamp(x·scale + shift)
 * (x·scale + shift in float64, then the reference activation) on randomized pixel and channel counts,
 * strides, pixel sub-ranges, each clamp, in place, and, in each case of two pixels or more, with the
 * scale and shift of a training-mode batch norm of the input (batchNormFromSums) against the reference
 * batchNormTraining + activation; NaN and ±Infinity in the input; and, with channelStats, the whole
 * training-mode batch norm forward against the reference on MobileNet-sized batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activation, batchNormTraining } from '../../../src/kernels/ref/index.js';
import { batchNormFromSums, CHANNEL_STATS_DESC_BYTES, trainingScratchFloats, writeChannelStatsDesc } from '../../../src/kernels/wasm/channelStats.js';
import { SCALE_SHIFT_CLAMP_DESC_BYTES, writeScaleShiftClampDesc } from '../../../src/kernels/wasm/scaleShiftClamp.js';
import { runScaleShiftClamp } from './cases/scaleShiftClamp.js';
import { CLAMPS, freshArena, kernels, Random, randomChunks, VARIANTS } from './support.js';

for (const variant of VARIANTS) {
  test(`scaleShiftClamp (${variant}) matches clamp(x·scale + shift) on randomized shapes, sub-ranges, clamps, in place`, () => {
    const rng = new Random(variant === 'simd' ? 131 : 132);
    for (let trial = 0; trial < 150; trial++) {
      const pixels = rng.int(1, 8) === 1 ? rng.int(1, 4) : rng.int(1, 200);
      const channels = rng.int(1, 6) === 1 ? rng.int(38, 100) : rng.int(1, 37);
      runScaleShiftClamp(variant, {
        pixels, channels, stride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)), clamp: rng.pick(CLAMPS), inPlace: rng.int(0, 1) === 0,
        pixelChunks: randomChunks(rng, pixels, 4),
      }, 13000 + trial);
    }
  });

  test(`scaleShiftClamp (${variant}) passes NaN and ±Infinity in the input through like the reference activation (ReLU6 and other clamps)`, () => {
    // NaN passes the clamp (f32x4.pmin/pmax are comparisons, false for NaN, in both binaries: neither
    // uses relaxed min/max), ±Infinity clamps to the bounds.
    const rng = new Random(variant === 'simd' ? 135 : 136);
    let nanOutputs = 0;
    for (let trial = 0; trial < 30; trial++) {
      const pixels = rng.int(1, 120);
      const channels = rng.int(1, 6) === 1 ? rng.int(38, 100) : rng.int(1, 37);
      nanOutputs += runScaleShiftClamp(variant, {
        pixels, channels, stride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)), clamp: trial % 3 === 2 ? rng.pick(CLAMPS) : CLAMPS[2]!,
        inPlace: rng.int(0, 1) === 0, pixelChunks: randomChunks(rng, pixels, 4), nonFinite: true,
      }, 13500 + trial);
    }
    assert.ok(nanOutputs > 0, 'no output was NaN');
  });

  test(`channelStats + batchNormFromSums + scaleShiftClamp (${variant}) = the reference batchNormTraining + activation`, () => {
    const k = kernels(variant);
    const rng = new Random(variant === 'simd' ? 133 : 134);
    for (const [P, C, fn] of [[64 * 7 * 7, 24, 'relu6'], [3000, 13, 'relu'], [2, 5, 'linear'], [4 * 28 * 28, 48, 'relu6']] as const) {
      const arena = freshArena(k);
      const means = rng.array(C, 2);
      const input = rng.array(P * C, 3).map((v, i) => v + means[i % C]!);
      const gamma = rng.array(C, 0.5).map((v) => v + 1);
      const beta = rng.array(C);
      const normalized = new Float32Array(P * C);
      batchNormTraining(input, normalized, { gamma, beta, epsilon: 1e-3 }, { mean: new Float32Array(C), invStd: new Float32Array(C) }, { count: P, channels: C });
      const expected = new Float32Array(P * C);
      activation(normalized, expected, fn, P * C);

      const xPtr = arena.put(input);
      const sumsPtr = arena.alloc(4 * C);
      const paramsPtr = arena.alloc(2 * C);
      const statsAt = arena.allocBytes(CHANNEL_STATS_DESC_BYTES);
      writeChannelStatsDesc(arena.view(), statsAt, {
        input: xPtr, shift: 0, sum: sumsPtr, sumSquares: sumsPtr + 8 * C, scratch: arena.alloc(trainingScratchFloats(C)), pixelStart: 0, pixelEnd: P, channels: C, stride: C, channelStart: 0, channelEnd: C, accumulate: false,
      });
      k.exports.channelStats(statsAt);
      const scale = new Float32Array(C);
      const shift = new Float32Array(C);
      batchNormFromSums(new Float64Array(k.memory.buffer, sumsPtr, C).slice(), new Float64Array(k.memory.buffer, sumsPtr + 8 * C, C).slice(), null, P, gamma, beta, 1e-3,
        { mean: new Float32Array(C), invStd: new Float32Array(C), scale, shift });
      arena.f32(paramsPtr, C).set(scale);
      arena.f32(paramsPtr + 4 * C, C).set(shift);
      const at = arena.allocBytes(SCALE_SHIFT_CLAMP_DESC_BYTES);
      const [lo, hi] = fn === 'relu6' ? [0, 6] : fn === 'relu' ? [0, Infinity] : [-Infinity, Infinity];
      writeScaleShiftClampDesc(arena.view(), at, {
        input: xPtr, output: xPtr, scale: paramsPtr, shift: paramsPtr + 4 * C, pixelStart: 0, pixelEnd: P, channels: C, stride: C, clampMin: lo, clampMax: hi,
      });
      k.exports.scaleShiftClamp(at);
      const got = arena.f32(xPtr, P * C);
      let worst = 0;
      for (let i = 0; i < P * C; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
      assert.ok(worst <= 1e-4, `${variant} P=${P} C=${C} ${fn}: relative diff ${worst}`);
    }
  });
}

test('writeScaleShiftClampDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(128));
  const good = { input: 16, output: 16, scale: 32, shift: 48, pixelStart: 0, pixelEnd: 10, channels: 4, stride: 4, clampMin: 0, clampMax: 6 };
  writeScaleShiftClampDesc(view, 0, good);
  assert.equal(view.getFloat32(36, true), 6);
  for (const [patch, pattern] of [
    [{ clampMin: 7 }, /clampMin ≤ clampMax/],
    [{ pixelEnd: -1 }, /pixelEnd = -1/],
    [{ stride: 3 }, /stride = 3, expected ≥ channels/],
  ] as const) {
    assert.throws(() => writeScaleShiftClampDesc(view, 0, { ...good, ...patch }), pattern);
  }
});
