/**
 * One case of the pointwiseWeightGrad kernel, run and checked against the reference:
 * pointwiseWeightGrad.test.ts runs these at the start of the memory, kernels-high-address.test.ts
 * at and across 2³¹.
 */
import { pointwiseConv2dBackward } from '../../../../src/kernels/ref/index.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { POINTWISE_WEIGHT_GRAD_DESC_BYTES, writePointwiseWeightGradDesc } from '../../../../src/kernels/wasm/pointwiseWeightGrad.js';
import { freshPlacement, kernels, Random, stridedData } from '../support.js';

export interface PointwiseWeightGradCase {
  readonly pixels: number; // rows of the tensors
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly inStride: number;
  readonly gradStride: number;
  readonly bias: boolean;
  /** gradWeight/gradBias hold old values that the first call adds to. */
  readonly accumulate: boolean;
  /** Input-channel chunks (threads' rows of dW). */
  readonly ciChunks: ReadonlyArray<readonly [number, number]>;
  /** Cut points inside (pixelStart, pixelEnd): the pixel range is summed in sequential parts with accumulate. */
  readonly pixelCuts: readonly number[];
}

function describe(c: PointwiseWeightGradCase): string {
  return `P=${c.pixels} [${c.pixelStart}, ${c.pixelEnd}) Cin=${c.inChannels} Cout=${c.outChannels} strides ${c.inStride}/${c.gradStride}` +
    `${c.bias ? ' bias' : ''}${c.accumulate ? ' accumulate' : ''} ci ${JSON.stringify(c.ciChunks)} cuts ${JSON.stringify(c.pixelCuts)}`;
}

export function runPointwiseWeightGrad(variant: KernelVariant, c: PointwiseWeightGradCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, inChannels: CI, outChannels: CO } = c;
  const label = `${variant} ${describe(c)}${m.where}`;

  const input = rng.array(P * CI); // (P, Cin)
  const gradOutput = rng.array(P * CO); // (P, Cout)
  const oldWeight = c.accumulate ? rng.array(CI * CO, 3) : null;
  const oldBias = c.accumulate && c.bias ? rng.array(CO, 3) : null;
  // Reference: the old values plus the float64 sums over [pixelStart, pixelEnd).
  const expectedWeight = oldWeight === null ? new Float32Array(CI * CO) : oldWeight.slice();
  const expectedBias = oldBias === null ? new Float32Array(CO) : oldBias.slice();
  const n = c.pixelEnd - c.pixelStart;
  if (n > 0) {
    pointwiseConv2dBackward(
      input.subarray(c.pixelStart * CI, c.pixelEnd * CI), new Float32Array(CI * CO), gradOutput.subarray(c.pixelStart * CO, c.pixelEnd * CO),
      null, expectedWeight, expectedBias, { pixels: n, inChannels: CI, outChannels: CO },
    );
  }

  const xPtr = m.buf('input', P * c.inStride, stridedData(input, P, CI, c.inStride));
  const gyPtr = m.buf('gradOutput', P * c.gradStride, stridedData(gradOutput, P, CO, c.gradStride));
  const gwPtr = m.buf('gradWeight', CI * CO, oldWeight ?? undefined); // NaN sentinels when overwritten
  const gbPtr = c.bias ? m.buf('gradBias', CO, oldBias ?? undefined) : 0;
  const bounds = [c.pixelStart, ...c.pixelCuts, c.pixelEnd];
  const chunks = c.ciChunks.map(([c0, c1], chunk) => {
    const calls: number[] = [];
    for (let part = 0; part + 1 < bounds.length; part++) {
      const at = m.desc(POINTWISE_WEIGHT_GRAD_DESC_BYTES);
      writePointwiseWeightGradDesc(m.view(), at, {
        input: xPtr, gradOutput: gyPtr, gradWeight: gwPtr, gradBias: chunk === 0 ? gbPtr : 0,
        pixelStart: bounds[part]!, pixelEnd: bounds[part + 1]!, inChannels: CI, outChannels: CO, inChannelStart: c0, inChannelEnd: c1,
        inStride: c.inStride, gradStride: c.gradStride, accumulate: c.accumulate || part > 0,
      });
      calls.push(at);
    }
    return { c0, c1, chunk, calls };
  });
  const check = m.check();
  for (const { c0, c1, chunk, calls } of chunks) {
    for (const at of calls) k.exports.pointwiseWeightGrad(at);
    for (let ci = c0; ci < c1; ci++) {
      for (let co = 0; co < CO; co++) check.expect(gwPtr + (ci * CO + co) * 4, expectedWeight[ci * CO + co]!);
    }
    if (chunk === 0 && c.bias) for (let co = 0; co < CO; co++) check.expect(gbPtr + co * 4, expectedBias[co]!);
    if (c1 > c0 || (chunk === 0 && c.bias)) check.verify(`${label}, after input channels [${c0}, ${c1})`);
  }
}
