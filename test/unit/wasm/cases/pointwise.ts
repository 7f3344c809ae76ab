/**
 * One case of the pointwise kernel, run and checked against the reference: pointwise.test.ts and
 * pointwiseWeightGrad.test.ts run these at the start of the memory, kernels-high-address.test.ts
 * at and across 2³¹.
 */
import { pointwiseConv2d, pointwiseConv2dBackward } from '../../../../src/kernels/ref/index.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { POINTWISE_DESC_BYTES, packPointwise, pointwiseBiasOffset, writePointwiseDesc } from '../../../../src/kernels/wasm/pointwise.js';
import { packPointwiseTransposed } from '../../../../src/kernels/wasm/pointwiseWeightGrad.js';
import { addResidual, applyClamp, freshPlacement, kernels, Random, sprinkleNonFinite, stridedData, type Clamp } from '../support.js';

export interface PointwiseCase {
  readonly pixels: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly inStride: number;
  readonly outStride: number;
  readonly clamp: Clamp;
  readonly bias: boolean;
  readonly residual: boolean;
  readonly accumulate: boolean;
  readonly pixelChunks: ReadonlyArray<readonly [number, number]>;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  /** About 1% of the input (and of the residual) is NaN, +Infinity or −Infinity. */
  readonly nonFinite?: boolean;
}

function describe(c: PointwiseCase): string {
  return `P=${c.pixels} Cin=${c.inChannels} Cout=${c.outChannels} strides ${c.inStride}/${c.outStride} ${c.clamp.name}` +
    `${c.bias ? '' : ' no-bias'}${c.residual ? ' residual' : ''}${c.accumulate ? ' accumulate' : ''}` +
    ` pixels ${JSON.stringify(c.pixelChunks)} channels ${JSON.stringify(c.channelChunks)}${c.nonFinite === true ? ' NaN/Inf' : ''}`;
}

/** Runs one case and checks the whole memory after every call; returns how many written outputs are NaN. */
export function runPointwise(variant: KernelVariant, c: PointwiseCase, seed: number, m = freshPlacement(variant)): number {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, inChannels: K, outChannels: N } = c;
  const label = `${variant} ${describe(c)}${m.where}`;

  const input = rng.array(P * K); // (P, Cin)
  const weight = rng.array(K * N, 1 / Math.sqrt(K)); // (Cin, Cout)
  const bias = c.bias ? rng.array(N) : null; // (Cout)
  const residual = c.residual ? rng.array(P * N) : null; // (P, Cout)
  const old = c.accumulate ? rng.array(P * N, 2) : null; // (P, Cout): what the output holds before
  if (c.nonFinite === true) {
    sprinkleNonFinite(rng, input);
    if (residual !== null) sprinkleNonFinite(rng, residual);
  }

  // Reference: clamp(conv + bias (+ old)) (+ residual).
  const conv = new Float32Array(P * N);
  pointwiseConv2d(input, weight, bias, conv, { pixels: P, inChannels: K, outChannels: N });
  let expected = applyClamp(old === null ? conv : addResidual(conv, old), c.clamp);
  if (residual !== null) expected = addResidual(expected, residual);

  const packed = packPointwise(weight, bias, K, N);
  const inPtr = m.buf('input', P * c.inStride, stridedData(input, P, K, c.inStride));
  const wPtr = m.buf('weights', packed.length, packed);
  const resPtr = residual === null ? 0 : m.buf('residual', P * c.outStride, stridedData(residual, P, N, c.outStride));
  const outPtr = m.buf('output', P * c.outStride, old === null ? undefined : stridedData(old, P, N, c.outStride));

  const calls: Array<{ at: number; p0: number; p1: number; c0: number; c1: number }> = [];
  for (const [p0, p1] of c.pixelChunks) {
    for (const [c0, c1] of c.channelChunks) {
      const at = m.desc(POINTWISE_DESC_BYTES);
      writePointwiseDesc(m.view(), at, {
        input: inPtr, weights: wPtr, bias: wPtr + pointwiseBiasOffset(K, N) * 4, residual: resPtr, output: outPtr,
        pixelStart: p0, pixelEnd: p1, inChannels: K, outChannels: N, channelStart: c0, channelEnd: c1,
        inStride: c.inStride, outStride: c.outStride, accumulate: c.accumulate, clampMin: c.clamp.min, clampMax: c.clamp.max,
      });
      calls.push({ at, p0, p1, c0, c1 });
    }
  }
  const check = m.check();
  let nanOutputs = 0;
  for (const call of calls) {
    k.exports.pointwise(call.at);
    for (let p = call.p0; p < call.p1; p++) {
      for (let o = call.c0; o < call.c1; o++) {
        check.expect(outPtr + (p * c.outStride + o) * 4, expected[p * N + o]!);
        if (Number.isNaN(expected[p * N + o]!)) nanOutputs++;
      }
    }
    check.verify(`${label}, after the call for pixels [${call.p0}, ${call.p1}) channels [${call.c0}, ${call.c1})`);
  }
  return nanOutputs;
}

/** The input gradient of a pointwise layer: (P, Cin) = dY (P, Cout) · Wᵀ. */
export interface PointwiseInputGradCase {
  readonly pixels: number;
  readonly inChannels: number;
  readonly outChannels: number;
}

/** dX = dY·Wᵀ through the forward pointwise kernel and packPointwiseTransposed, against the reference pointwiseConv2dBackward. */
export function runPointwiseInputGrad(variant: KernelVariant, c: PointwiseInputGradCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, inChannels: CI, outChannels: CO } = c;
  const weight = rng.array(CI * CO);
  const gradOutput = rng.array(P * CO);
  const expected = new Float32Array(P * CI);
  pointwiseConv2dBackward(new Float32Array(P * CI), weight, gradOutput, expected, null, null, { pixels: P, inChannels: CI, outChannels: CO });
  const packed = packPointwiseTransposed(weight, CI, CO);
  const wPtr = m.buf('transposed weights', packed.length, packed);
  const gyPtr = m.buf('gradOutput', P * CO, gradOutput);
  const gxPtr = m.buf('gradInput', P * CI);
  const at = m.desc(POINTWISE_DESC_BYTES);
  writePointwiseDesc(m.view(), at, {
    input: gyPtr, weights: wPtr, bias: wPtr + pointwiseBiasOffset(CO, CI) * 4, residual: 0, output: gxPtr, pixelStart: 0, pixelEnd: P,
    inChannels: CO, outChannels: CI, channelStart: 0, channelEnd: CI, inStride: CO, outStride: CI, accumulate: false,
    clampMin: -Infinity, clampMax: Infinity,
  });
  const check = m.check();
  k.exports.pointwise(at);
  for (let i = 0; i < P * CI; i++) check.expect(gxPtr + i * 4, expected[i]!);
  check.verify(`${variant} dX = dY·Wᵀ P=${P} Cin=${CI} Cout=${CO}${m.where}`);
}
