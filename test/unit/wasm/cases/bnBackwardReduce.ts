/**
 * One case of the bnBackwardReduce kernel, run and checked against exact float64 sums and the
 * reference batchNormBackward's dγ, dβ: bnBackwardReduce.test.ts runs these at the start of the
 * memory, kernels-high-address.test.ts at and across 2³¹.
 */
import assert from 'node:assert/strict';
import { batchNormBackward } from '../../../../src/kernels/ref/index.js';
import { BN_BACKWARD_REDUCE_DESC_BYTES, writeBnBackwardReduceDesc } from '../../../../src/kernels/wasm/bnBackwardReduce.js';
import { trainingScratchFloats } from '../../../../src/kernels/wasm/channelStats.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { batchNormData, freshPlacement, kernels, Random, stridedData, type Clamp } from '../support.js';

export interface BnBackwardReduceCase {
  readonly pixels: number;
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly channels: number;
  readonly stride: number;
  readonly clamp: Clamp;
  readonly accumulate: boolean;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly pixelCuts: readonly number[];
}

export function runBnBackwardReduce(variant: KernelVariant, c: BnBackwardReduceCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, channels: C } = c;
  const label = `${variant} P=${P} [${c.pixelStart}, ${c.pixelEnd}) C=${C} stride ${c.stride} ${c.clamp.name}${c.accumulate ? ' accumulate' : ''} ` +
    `channels ${JSON.stringify(c.channelChunks)} cuts ${JSON.stringify(c.pixelCuts)}${m.where}`;
  const data = batchNormData(rng, P, C, c.clamp);
  const oldDz = c.accumulate ? Float64Array.from(rng.array(C, 5)) : null;
  const oldDzXhat = c.accumulate ? Float64Array.from(rng.array(C, 5)) : null;
  const sumDz = new Float64Array(C);
  const sumDzXhat = new Float64Array(C);
  const scale = new Float64Array(C);
  for (let p = c.pixelStart; p < c.pixelEnd; p++) {
    for (let ch = 0; ch < C; ch++) {
      const i = p * C + ch;
      const xhat = (data.x[i]! - data.mean[ch]!) * data.invStd[ch]!;
      sumDz[ch] += data.dz[i]!;
      sumDzXhat[ch] += data.dz[i]! * xhat;
      scale[ch] += Math.abs(data.dz[i]!) * (1 + Math.abs(xhat));
    }
  }

  const linear = c.clamp.name === 'linear';
  const xPtr = m.buf('input', P * c.stride, stridedData(data.x, P, C, c.stride));
  const yPtr = linear ? 0 : m.buf('activation', P * c.stride, stridedData(data.y, P, C, c.stride));
  const gyPtr = m.buf('gradOutput', P * c.stride, stridedData(data.gradOutput, P, C, c.stride));
  const meanPtr = m.buf('mean', C, data.mean);
  const invStdPtr = m.buf('invStd', C, data.invStd);
  const dzPtr = m.f64('sumDz', C, oldDz);
  const dzXhatPtr = m.f64('sumDzXhat', C, oldDzXhat);
  const scratch = m.buf('scratch', trainingScratchFloats(C));
  const bounds = [c.pixelStart, ...c.pixelCuts, c.pixelEnd];
  const chunks = c.channelChunks.map(([c0, c1]) => ({
    c0, c1,
    calls: bounds.slice(1).map((end, part) => {
      const at = m.desc(BN_BACKWARD_REDUCE_DESC_BYTES);
      writeBnBackwardReduceDesc(m.view(), at, {
        input: xPtr, activation: yPtr, gradOutput: gyPtr, mean: meanPtr, invStd: invStdPtr, sumDz: dzPtr, sumDzXhat: dzXhatPtr, scratch,
        pixelStart: bounds[part]!, pixelEnd: end, channels: C, stride: c.stride, channelStart: c0, channelEnd: c1,
        accumulate: c.accumulate || part > 0, clampMin: linear ? -Infinity : c.clamp.min, clampMax: linear ? Infinity : c.clamp.max,
      });
      return at;
    }),
  }));
  const check = m.check();
  check.ignore(scratch, trainingScratchFloats(C));
  for (const { c0, c1, calls } of chunks) {
    for (const at of calls) k.exports.bnBackwardReduce(at);
    if (c1 === c0) continue;
    for (let ch = c0; ch < c1; ch++) {
      check.expectF64(dzPtr + ch * 8, (oldDz?.[ch] ?? 0) + sumDz[ch]!, scale[ch]!);
      check.expectF64(dzXhatPtr + ch * 8, (oldDzXhat?.[ch] ?? 0) + sumDzXhat[ch]!, scale[ch]!);
    }
    check.verify(`${label}, after channels [${c0}, ${c1})`, 1e-6);
  }

  // The same sums as the reference batchNormBackward's dβ = Σ dz and dγ = Σ dz·x̂ over [pixelStart, pixelEnd)
  // (float64 sums rounded to float32: within 1e-7 of them).
  const n = c.pixelEnd - c.pixelStart;
  if (n === 0) return;
  const gradGamma = new Float32Array(C);
  const gradBeta = new Float32Array(C);
  batchNormBackward(data.x.subarray(c.pixelStart * C, c.pixelEnd * C), data.dz.subarray(c.pixelStart * C, c.pixelEnd * C), null, gradGamma, gradBeta,
    { gamma: data.gamma, beta: data.beta, epsilon: 1e-3 }, { mean: data.mean, invStd: data.invStd }, { count: n, channels: C });
  const gotDz = new Float64Array(k.memory.buffer, dzPtr, C);
  const gotDzXhat = new Float64Array(k.memory.buffer, dzXhatPtr, C);
  for (let ch = 0; ch < C; ch++) {
    const tolerance = 2e-6 * Math.max(1, scale[ch]!);
    const where = `${label}: channel ${ch} against the reference batchNormBackward`;
    const dBeta = gotDz[ch]! - (oldDz?.[ch] ?? 0);
    const dGamma = gotDzXhat[ch]! - (oldDzXhat?.[ch] ?? 0);
    assert.ok(Math.abs(dBeta - gradBeta[ch]!) <= tolerance, `${where}: dβ ${dBeta} vs ${gradBeta[ch]}`);
    assert.ok(Math.abs(dGamma - gradGamma[ch]!) <= tolerance, `${where}: dγ ${dGamma} vs ${gradGamma[ch]}`);
  }
}
