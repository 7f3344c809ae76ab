/**
 * One case of the channelStats kernel, run and checked against exact float64 sums and the reference
 * batchNormTraining: channelStats.test.ts runs these at the start of the memory,
 * kernels-high-address.test.ts at and across 2³¹.
 */
import assert from 'node:assert/strict';
import { batchNormTraining } from '../../../../src/kernels/ref/index.js';
import { batchNormFromSums, CHANNEL_STATS_DESC_BYTES, trainingScratchFloats, writeChannelStatsDesc } from '../../../../src/kernels/wasm/channelStats.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { freshPlacement, kernels, Random, stridedData } from '../support.js';

export interface ChannelStatsCase {
  readonly pixels: number;
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly channels: number;
  readonly stride: number;
  readonly shift: boolean;
  readonly accumulate: boolean;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly pixelCuts: readonly number[];
  /** The input's (and the shift's) offset from 0. */
  readonly center: number;
}

function describe(c: ChannelStatsCase): string {
  return `P=${c.pixels} [${c.pixelStart}, ${c.pixelEnd}) C=${c.channels} stride ${c.stride}${c.shift ? ' shift' : ''}${c.accumulate ? ' accumulate' : ''} ` +
    `center ${c.center} channels ${JSON.stringify(c.channelChunks)} cuts ${JSON.stringify(c.pixelCuts)}`;
}

/**
 * The float64 sums against exact ones after every call; then, with two pixels or more and no old
 * sums, the batch statistics derived from them (batchNormFromSums) against the reference batchNormTraining's.
 */
export function runChannelStats(variant: KernelVariant, c: ChannelStatsCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, channels: C } = c;
  const label = `${variant} ${describe(c)}${m.where}`;
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

  const xPtr = m.buf('input', P * c.stride, stridedData(input, P, C, c.stride));
  const shiftPtr = shift === null ? 0 : m.buf('shift', C, shift);
  const sumPtr = m.f64('sum', C, oldSum);
  const squaresPtr = m.f64('sumSquares', C, oldSquares);
  const scratch = m.buf('scratch', trainingScratchFloats(C));
  const bounds = [c.pixelStart, ...c.pixelCuts, c.pixelEnd];
  const chunks = c.channelChunks.map(([c0, c1]) => ({
    c0, c1,
    calls: bounds.slice(1).map((end, part) => {
      const at = m.desc(CHANNEL_STATS_DESC_BYTES);
      writeChannelStatsDesc(m.view(), at, {
        input: xPtr, shift: shiftPtr, sum: sumPtr, sumSquares: squaresPtr, scratch, pixelStart: bounds[part]!, pixelEnd: end, channels: C, stride: c.stride,
        channelStart: c0, channelEnd: c1, accumulate: c.accumulate || part > 0,
      });
      return at;
    }),
  }));
  const check = m.check();
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
