/**
 * One case of the bnBackwardApply kernel, run and checked against the formula in float64 and the
 * reference batchNormBackward: bnBackwardApply.test.ts runs these at the start of the memory,
 * kernels-high-address.test.ts at and across 2³¹.
 */
import assert from 'node:assert/strict';
import { batchNormBackward } from '../../../../src/kernels/ref/index.js';
import { BN_BACKWARD_APPLY_DESC_BYTES, writeBnBackwardApplyDesc } from '../../../../src/kernels/wasm/bnBackwardApply.js';
import { trainingScratchFloats } from '../../../../src/kernels/wasm/channelStats.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { assertClose, batchNormData, freshPlacement, kernels, Random, stridedData, type Clamp } from '../support.js';

export interface BnBackwardApplyCase {
  readonly pixels: number;
  readonly channels: number;
  readonly stride: number;
  readonly clamp: Clamp;
  /** gradInput is the buffer of gradOutput, input or activation (which the kernel reads before it writes), or its own. */
  readonly inPlace: 'none' | 'gradOutput' | 'input' | 'activation';
  readonly pixelChunks: ReadonlyArray<readonly [number, number]>;
}

export function runBnBackwardApply(variant: KernelVariant, c: BnBackwardApplyCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, channels: C } = c;
  const label = `${variant} P=${P} C=${C} stride ${c.stride} ${c.clamp.name}${c.inPlace === 'none' ? '' : ` in place over ${c.inPlace}`} ` +
    `pixels ${JSON.stringify(c.pixelChunks)}${m.where}`;
  const data = batchNormData(rng, P, C, c.clamp);
  const sumDz = new Float64Array(C);
  const sumDzXhat = new Float64Array(C);
  for (let i = 0; i < P * C; i++) {
    const ch = i % C;
    sumDz[ch] += data.dz[i]!;
    sumDzXhat[ch] += data.dz[i]! * (data.x[i]! - data.mean[ch]!) * data.invStd[ch]!;
  }
  // The reference: batchNormBackward of the masked gradient (the reference activationBackward's).
  const reference = new Float32Array(P * C);
  batchNormBackward(data.x, data.dz, reference, null, null, { gamma: data.gamma, beta: data.beta, epsilon: 1e-3 }, { mean: data.mean, invStd: data.invStd }, { count: P, channels: C });
  const linear = c.clamp.name === 'linear';
  assert.ok(!(linear && c.inPlace === 'activation'), 'a linear activation has no activation buffer to write over');
  const xPtr = m.buf('input', P * c.stride, stridedData(data.x, P, C, c.stride));
  const yPtr = linear ? 0 : m.buf('activation', P * c.stride, stridedData(data.y, P, C, c.stride));
  const gyPtr = m.buf('gradOutput', P * c.stride, stridedData(data.gradOutput, P, C, c.stride));
  const gxPtr = c.inPlace === 'gradOutput' ? gyPtr : c.inPlace === 'input' ? xPtr : c.inPlace === 'activation' ? yPtr : m.buf('gradInput', P * c.stride);
  const meanPtr = m.buf('mean', C, data.mean);
  const invStdPtr = m.buf('invStd', C, data.invStd);
  const gammaPtr = m.buf('gamma', C, data.gamma);
  const sumsPtr = m.f64('sums', 2 * C, Float64Array.from([...sumDz, ...sumDzXhat]));
  const scratch = m.buf('scratch', trainingScratchFloats(C));
  const calls = c.pixelChunks.map(([p0, p1]) => {
    const at = m.desc(BN_BACKWARD_APPLY_DESC_BYTES);
    writeBnBackwardApplyDesc(m.view(), at, {
      input: xPtr, activation: yPtr, gradOutput: gyPtr, gradInput: gxPtr, mean: meanPtr, invStd: invStdPtr, gamma: gammaPtr,
      sumDz: sumsPtr, sumDzXhat: sumsPtr + 8 * C, scratch, count: P, pixelStart: p0, pixelEnd: p1, channels: C, stride: c.stride,
      clampMin: linear ? -Infinity : c.clamp.min, clampMax: linear ? Infinity : c.clamp.max,
    });
    return { at, p0, p1 };
  });
  const check = m.check();
  check.ignore(scratch, trainingScratchFloats(C));
  for (const { at, p0, p1 } of calls) {
    k.exports.bnBackwardApply(at);
    for (let p = p0; p < p1; p++) {
      for (let ch = 0; ch < C; ch++) {
        const i = p * C + ch;
        const xhat = (data.x[i]! - data.mean[ch]!) * data.invStd[ch]!;
        const v = data.gamma[ch]! * data.invStd[ch]! * (data.dz[i]! - sumDz[ch]! / P - xhat * sumDzXhat[ch]! / P);
        check.expect(gxPtr + (p * c.stride + ch) * 4, v);
      }
    }
    if (p1 > p0) check.verify(`${label}, after pixels [${p0}, ${p1})`);
  }
  const got = new Float32Array(P * C);
  const all = m.arena.f32(gxPtr, P * c.stride);
  for (let p = 0; p < P; p++) got.set(all.subarray(p * c.stride, p * c.stride + C), p * C);
  assertClose(`${label}: against the reference batchNormBackward`, got, reference, 1e-4);
}
