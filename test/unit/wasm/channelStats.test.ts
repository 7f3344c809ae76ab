/**
 * The channelStats WebAssembly kernel (plain and relaxed SIMD): its float64 sums against exact
 * float64 sums (randomized pixel and channel counts, strides, pixel and channel sub-ranges, parts
 * summed with `accumulate`, with and without a shift) and, in each case of two pixels or more without
 * old sums, the batch statistics derived from them against the reference batchNormTraining's on the
 * same pixels; and the batch statistics derived from them
 * (batchNormFromSums) against the reference batchNormTraining's float64 statistics on 50k–100k
 * pixels within 1e-5 relative, including data whose mean is 100× its spread (with the running mean
 * as the shift).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchNormTraining } from '../../../src/kernels/ref/index.js';
import { batchNormFromSums, CHANNEL_STATS_DESC_BYTES, trainingScratchFloats, writeChannelStatsDesc } from '../../../src/kernels/wasm/channelStats.js';
import { runChannelStats, type ChannelStatsCase } from './cases/channelStats.js';
import { freshArena, kernels, Random, randomChunks, VARIANTS } from './support.js';

function randomCase(rng: Random): ChannelStatsCase {
  const pixels = rng.int(1, 8) === 1 ? rng.int(1, 4) : rng.int(1, 400);
  const pixelStart = rng.int(0, 2) === 0 ? rng.int(0, pixels - 1) : 0;
  const pixelEnd = rng.int(0, 2) === 0 ? rng.int(pixelStart, pixels) : pixels;
  const channels = rng.int(1, 6) === 1 ? rng.int(38, 100) : rng.int(1, 37);
  const cuts: number[] = [];
  if (pixelEnd - pixelStart > 2 && rng.int(0, 2) === 0) cuts.push(rng.int(pixelStart + 1, pixelEnd - 1));
  return {
    pixels, pixelStart, pixelEnd, channels, stride: channels + (rng.int(0, 1) === 0 ? 0 : rng.int(1, 5)),
    shift: rng.int(0, 1) === 0, accumulate: rng.int(0, 3) === 0, channelChunks: randomChunks(rng, channels, 3), pixelCuts: cuts,
    center: rng.pick([0, 0.5, -3, 20]),
  };
}

for (const variant of VARIANTS) {
  test(`channelStats (${variant}) matches exact float64 sums on randomized shapes and sub-ranges`, () => {
    const rng = new Random(variant === 'simd' ? 121 : 122);
    for (let trial = 0; trial < 150; trial++) runChannelStats(variant, randomCase(rng), 12000 + trial);
  });

  test(`channelStats (${variant}) + batchNormFromSums give the reference batch statistics within 1e-5 on 50k–100k pixels`, () => {
    const k = kernels(variant);
    const cases = [
      { pixels: 64 * 28 * 28, channels: 16, center: 0.3, spread: 1, shift: 'none' }, // MobileNetV2 0.35 small-input stem, batch 64
      { pixels: 128 * 28 * 28, channels: 8, center: -1, spread: 2, shift: 'none' }, // 100k pixels
      { pixels: 64 * 28 * 28, channels: 12, center: 100, spread: 1, shift: 'running' }, // |mean| = 100·std: the shift matters
      { pixels: 64 * 14 * 14, channels: 96, center: 5, spread: 0.05, shift: 'running' },
    ] as const;
    const rng = new Random(variant === 'simd' ? 123 : 124);
    for (const c of cases) {
      const arena = freshArena(k);
      const { pixels: P, channels: C } = c;
      const means = rng.array(C, 0.2 * c.spread).map((v) => v + c.center);
      const input = rng.array(P * C, 1.7 * c.spread).map((v, i) => v + means[i % C]!);
      const gamma = rng.array(C, 0.5).map((v) => v + 1);
      const beta = rng.array(C);
      // Reference: float64 two-pass statistics.
      const refMean = new Float32Array(C);
      const refInvStd = new Float32Array(C);
      const refUnbiased = new Float32Array(C);
      batchNormTraining(input, new Float32Array(P * C), { gamma, beta, epsilon: 1e-5 }, { mean: refMean, invStd: refInvStd, unbiasedVariance: refUnbiased }, { count: P, channels: C });
      // The running mean from an earlier step: close to the batch mean, not equal.
      const shift = c.shift === 'running' ? means.map((m) => m + 0.3 * c.spread) : null;
      const xPtr = arena.put(input);
      const shiftPtr = shift === null ? 0 : arena.put(shift);
      const sumsPtr = arena.alloc(4 * C);
      const scratch = arena.alloc(trainingScratchFloats(C));
      const at = arena.allocBytes(CHANNEL_STATS_DESC_BYTES);
      writeChannelStatsDesc(arena.view(), at, {
        input: xPtr, shift: shiftPtr, sum: sumsPtr, sumSquares: sumsPtr + 8 * C, scratch, pixelStart: 0, pixelEnd: P, channels: C, stride: C,
        channelStart: 0, channelEnd: C, accumulate: false,
      });
      k.exports.channelStats(at);
      const out = { mean: new Float32Array(C), invStd: new Float32Array(C), scale: new Float32Array(C), shift: new Float32Array(C), unbiasedVariance: new Float32Array(C) };
      batchNormFromSums(
        new Float64Array(k.memory.buffer, sumsPtr, C).slice(), new Float64Array(k.memory.buffer, sumsPtr + 8 * C, C).slice(), shift, P, gamma, beta, 1e-5, out,
      );
      for (let ch = 0; ch < C; ch++) {
        const std = 1 / refInvStd[ch]!;
        const label = `${variant} P=${P} C=${C} center ${c.center} spread ${c.spread} shift ${c.shift} channel ${ch}`;
        assert.ok(Math.abs(out.mean[ch]! - refMean[ch]!) <= 1e-5 * (Math.abs(refMean[ch]!) + std), `${label}: mean ${out.mean[ch]} vs ${refMean[ch]}`);
        assert.ok(Math.abs(out.invStd[ch]! / refInvStd[ch]! - 1) <= 1e-5, `${label}: invStd ${out.invStd[ch]} vs ${refInvStd[ch]}`);
        assert.ok(Math.abs(out.unbiasedVariance[ch]! / refUnbiased[ch]! - 1) <= 2e-5, `${label}: unbiased variance ${out.unbiasedVariance[ch]} vs ${refUnbiased[ch]}`);
        assert.ok(Math.abs(out.scale[ch]! - gamma[ch]! * out.invStd[ch]!) <= 1e-6 * Math.abs(out.scale[ch]!), `${label}: scale`);
      }
    }
  });
}

test('writeChannelStatsDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(128));
  const good = {
    input: 16, shift: 0, sum: 32, sumSquares: 64, scratch: 96, pixelStart: 0, pixelEnd: 10, channels: 4, stride: 4, channelStart: 0, channelEnd: 4, accumulate: false,
  };
  writeChannelStatsDesc(view, 0, good);
  assert.equal(view.getInt32(40, true), 4);
  for (const [patch, pattern] of [
    [{ scratch: 100 }, /scratch = 100, expected a 16-byte aligned/],
    [{ sum: 36 }, /sum = 36, expected an 8-byte aligned/],
    [{ channelEnd: 5 }, /channelEnd ≤ channels/],
    [{ stride: 3 }, /stride = 3, expected ≥ channels/],
  ] as const) {
    assert.throws(() => writeChannelStatsDesc(view, 0, { ...good, ...patch }), pattern);
  }
});
