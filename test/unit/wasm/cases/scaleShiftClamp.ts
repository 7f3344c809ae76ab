/**
 * One case of the scaleShiftClamp kernel, run and checked against clamp(x·scale + shift) and the
 * reference batchNormTraining + activation: scaleShiftClamp.test.ts runs these at the start of the
 * memory, kernels-high-address.test.ts at and across 2³¹.
 */
import { batchNormTraining } from '../../../../src/kernels/ref/index.js';
import { batchNormFromSums } from '../../../../src/kernels/wasm/channelStats.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { SCALE_SHIFT_CLAMP_DESC_BYTES, writeScaleShiftClampDesc } from '../../../../src/kernels/wasm/scaleShiftClamp.js';
import { applyClamp, assertClose, freshPlacement, kernels, Random, sprinkleNonFinite, stridedData, type Clamp } from '../support.js';

export interface ScaleShiftClampCase {
  readonly pixels: number;
  readonly channels: number;
  readonly stride: number;
  readonly clamp: Clamp;
  readonly inPlace: boolean;
  readonly pixelChunks: ReadonlyArray<readonly [number, number]>;
  /** About 1% of the input is NaN, +Infinity or −Infinity (scale and shift stay random: no batch statistics). */
  readonly nonFinite?: boolean;
}

/** Runs one case; returns how many written outputs are NaN. */
export function runScaleShiftClamp(variant: KernelVariant, c: ScaleShiftClampCase, seed: number, m = freshPlacement(variant)): number {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { pixels: P, channels: C } = c;
  const label = `${variant} P=${P} C=${C} stride ${c.stride} ${c.clamp.name}${c.inPlace ? ' in place' : ''} pixels ${JSON.stringify(c.pixelChunks)}` +
    `${c.nonFinite === true ? ' NaN/Inf' : ''}${m.where}`;
  const input = rng.array(P * C, 4);
  let scale = rng.array(C, 2);
  let shift = rng.array(C, 3);
  // With two pixels or more, the random scale and shift serve as γ and β of a training-mode batch norm
  // of the input: the kernel gets its scale and shift (batchNormFromSums on exact float64 sums) and its
  // output must also be the reference batchNormTraining + activation.
  let reference: Float32Array | null = null;
  if (P >= 2 && c.nonFinite !== true) {
    const [gamma, beta] = [scale, shift];
    const sum = new Float64Array(C);
    const squares = new Float64Array(C);
    for (let i = 0; i < P * C; i++) {
      sum[i % C] += input[i]!;
      squares[i % C] += input[i]! * input[i]!;
    }
    [scale, shift] = [new Float32Array(C), new Float32Array(C)];
    batchNormFromSums(sum, squares, null, P, gamma, beta, 1e-3, { mean: new Float32Array(C), invStd: new Float32Array(C), scale, shift });
    const normalized = new Float32Array(P * C);
    batchNormTraining(input, normalized, { gamma, beta, epsilon: 1e-3 }, { mean: new Float32Array(C), invStd: new Float32Array(C) }, { count: P, channels: C });
    reference = applyClamp(normalized, c.clamp);
  }
  if (c.nonFinite === true) sprinkleNonFinite(rng, input);
  // x·scale + shift in float64 (rounded once), through the reference activation.
  const affine = new Float32Array(P * C);
  for (let i = 0; i < P * C; i++) affine[i] = input[i]! * scale[i % C]! + shift[i % C]!;
  const expected = applyClamp(affine, c.clamp);
  const xPtr = m.buf('input', P * c.stride, stridedData(input, P, C, c.stride));
  const outPtr = c.inPlace ? xPtr : m.buf('output', P * c.stride);
  const scalePtr = m.buf('scale', C, scale);
  const shiftPtr = m.buf('shift', C, shift);
  const calls = c.pixelChunks.map(([p0, p1]) => {
    const at = m.desc(SCALE_SHIFT_CLAMP_DESC_BYTES);
    writeScaleShiftClampDesc(m.view(), at, {
      input: xPtr, output: outPtr, scale: scalePtr, shift: shiftPtr, pixelStart: p0, pixelEnd: p1, channels: C, stride: c.stride,
      clampMin: c.clamp.min, clampMax: c.clamp.max,
    });
    return { at, p0, p1 };
  });
  const check = m.check();
  let nanOutputs = 0;
  for (const { at, p0, p1 } of calls) {
    k.exports.scaleShiftClamp(at);
    for (let p = p0; p < p1; p++) {
      for (let ch = 0; ch < C; ch++) {
        check.expect(outPtr + (p * c.stride + ch) * 4, expected[p * C + ch]!);
        if (Number.isNaN(expected[p * C + ch]!)) nanOutputs++;
      }
    }
    if (p1 > p0) check.verify(`${label}, after pixels [${p0}, ${p1})`);
  }
  if (reference !== null) {
    const got = new Float32Array(P * C);
    const all = m.arena.f32(outPtr, P * c.stride);
    for (let p = 0; p < P; p++) got.set(all.subarray(p * c.stride, p * c.stride + C), p * C);
    assertClose(`${label}: against the reference batchNormTraining + activation`, got, reference, 1e-5);
  }
  return nanOutputs;
}
