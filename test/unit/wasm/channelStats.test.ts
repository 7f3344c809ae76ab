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
import type { KernelVariant } from '../../../src/kernels/wasm/module.js';
import { freshArena, guarded, kernels, MemoryCheck, Random, randomChunks, stridedData, VARIANTS } from './support.js';

interface StatsCase {
  readonly pixels: number;
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly channels: number;
  readonly stride: number;
  readonly shift: boolean;
  readonly accumulate: boolean;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly pixelCuts: readonly number[];
  readonly center: number;
}

function describe(c: StatsCase): string {
  return `P=${c.pixels} [${c.pixelStart}, ${c.pixelEnd}) C=${c.channels} stride ${c.stride}${c.shift ? ' shift' : ''}${c.accumulate ? ' accumulate' : ''} ` +
    `center ${c.center} channels ${JSON.stringify(c.channelChunks)} cuts ${JSON.stringify(c.pixelCuts)}`;
}

/** Two float64 arrays of C values each, 8-byte aligned, between sentinel gaps. */
function guardedF64(arena: ReturnType<typeof freshArena>, count: number, data?: Float64Array): number {
  const at = guarded(arena, 2 * count);
  if (data !== undefined) new Float64Array(arena.memory.buffer, at, count).set(data);
  return at;
}

function runCase(variant: KernelVariant, c: StatsCase, seed: number): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const arena = freshArena(k);
  const { pixels: P, channels: C } = c;
  const label = `${variant} ${describe(c)}`;
  const input = rng.array(P * C, 2).map((v) => v + c.center);
  const shift = c.shift ? rng.array(C, 0.5).map((v) => v + c.center) : null;
  const oldSum = c.accumulate ? Float64Array.from(rng.array(C, 5)) : null;
  const oldSquares = c.accumulate ? Float64Array.from(rng.array(C, 5).map(Math.abs)) : null;
  // Exact float64 sums over [pixelStart, pixelEnd), and Σ|·| as the error scale.
  const sum = new Float64Array(C);
  const squares = new Float64Array(C);
  const scale = new Float64Array(C);
  for (let p = c.pixelStart; p < c.pixelEnd; p++) {
    for (let ch = 0; ch < C; ch++) {
      const v = input[p * C + ch]! - (shift === null ? 0 : shift[ch]!);
      sum[ch] += v;
      squares[ch] += v * v;
      scale[ch] += Math.abs(v) + v * v;
    }
  }

  const xPtr = guarded(arena, P * c.stride, stridedData(input, P, C, c.stride));
  const shiftPtr = shift === null ? 0 : guarded(arena, C, shift);
  const sumPtr = guardedF64(arena, C, oldSum ?? undefined);
  const squaresPtr = guardedF64(arena, C, oldSquares ?? undefined);
  const scratch = guarded(arena, trainingScratchFloats(C));
  const bounds = [c.pixelStart, ...c.pixelCuts, c.pixelEnd];
  const chunks = c.channelChunks.map(([c0, c1]) => ({
    c0, c1,
    calls: bounds.slice(1).map((end, part) => {
      const at = arena.allocBytes(CHANNEL_STATS_DESC_BYTES);
      writeChannelStatsDesc(arena.view(), at, {
        input: xPtr, shift: shiftPtr, sum: sumPtr, sumSquares: squaresPtr, scratch, pixelStart: bounds[part]!, pixelEnd: end, channels: C, stride: c.stride,
        channelStart: c0, channelEnd: c1, accumulate: c.accumulate || part > 0,
      });
      return at;
    }),
  }));
  arena.alloc(16);
  const check = new MemoryCheck(arena);
  check.ignore(scratch, trainingScratchFloats(C));
  for (const { c0, c1, calls } of chunks) {
    for (const at of calls) k.exports.channelStats(at);
    if (c1 === c0) continue;
    for (let ch = c0; ch < c1; ch++) {
      check.expectF64(sumPtr + ch * 8, (oldSum?.[ch] ?? 0) + sum[ch]!, scale[ch]!);
      check.expectF64(squaresPtr + ch * 8, (oldSquares?.[ch] ?? 0) + squares[ch]!, scale[ch]!);
    }
    check.verify(`${label}, after channels [${c0}, ${c1})`, 1e-6);
  }

  // The statistics of the pixels [pixelStart, pixelEnd) against the reference batchNormTraining's.
  const count = c.pixelEnd - c.pixelStart;
  if (c.accumulate || count < 2) return;
  const gamma = rng.array(C, 0.5).map((v) => v + 1);
  const beta = rng.array(C);
  const refMean = new Float32Array(C);
  const refInvStd = new Float32Array(C);
  const refUnbiased = new Float32Array(C);
  batchNormTraining(input.subarray(c.pixelStart * C, c.pixelEnd * C), new Float32Array(count * C), { gamma, beta, epsilon: 1e-5 },
    { mean: refMean, invStd: refInvStd, unbiasedVariance: refUnbiased }, { count, channels: C });
  const out = { mean: new Float32Array(C), invStd: new Float32Array(C), scale: new Float32Array(C), shift: new Float32Array(C), unbiasedVariance: new Float32Array(C) };
  batchNormFromSums(new Float64Array(k.memory.buffer, sumPtr, C).slice(), new Float64Array(k.memory.buffer, squaresPtr, C).slice(), shift, count, gamma, beta, 1e-5, out);
  for (let ch = 0; ch < C; ch++) {
    // Tolerances from the sums' (checked above: within 1e-6 of max(1, Σ(|v| + v²)), v = x − shift): with
    // M that bound / count and m = E[v], the variance E[v²] − m² is within 1e-6·M·(1 + 2|m|), relative to
    // the variance + ε (the reference's 1/invStd²) at least 2e-5; the mean within 1e-6·M plus float32 rounding.
    const moment = Math.max(1, scale[ch]!) / count;
    const variance = 1 / (refInvStd[ch]! * refInvStd[ch]!);
    const relVar = Math.max(2e-5, (1e-6 * moment * (1 + 2 * Math.abs(sum[ch]! / count))) / variance);
    const where = `${label}: channel ${ch} against the reference batchNormTraining`;
    assert.ok(Math.abs(out.mean[ch]! - refMean[ch]!) <= 2e-6 * moment + 1e-6 * Math.abs(refMean[ch]!), `${where}: mean ${out.mean[ch]} vs ${refMean[ch]}`);
    assert.ok(Math.abs(out.invStd[ch]! / refInvStd[ch]! - 1) <= relVar / 2, `${where}: invStd ${out.invStd[ch]} vs ${refInvStd[ch]} (tolerance ${relVar / 2})`);
    assert.ok(
      Math.abs(out.unbiasedVariance[ch]! - refUnbiased[ch]!) <= relVar * variance * (count / (count - 1)),
      `${where}: unbiased variance ${out.unbiasedVariance[ch]} vs ${refUnbiased[ch]}`,
    );
  }
}

function randomCase(rng: Random): StatsCase {
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
    for (let trial = 0; trial < 150; trial++) runCase(variant, randomCase(rng), 12000 + trial);
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
