/**
 * pointwise: the 1×1 convolution kernel (also dense layers, with pixels = batch). Descriptor layout,
 * writer and weight packing; the kernel itself is assembly/pointwise.ts.
 */
import { fail } from '../ref/checks.js';
import { checkClamp, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';

/**
 * out[p, c] = clamp(Σ_k in[p, k]·W[k, c] + bias[c] (+ out[p, c] when accumulate), clampMin, clampMax)
 *             (+ residual[p, c] when residual ≠ 0)
 * for p in [pixelStart, pixelEnd), c in [channelStart, channelEnd). Pointers are byte offsets into the
 * kernels' memory; pixel p of input/output/residual is at ptr + p·stride·4 (absolute pixel index).
 */
export interface PointwiseDesc {
  readonly input: number; // (P, inStride) floats, the first inChannels of each row used
  readonly weights: number; // packed panels (packPointwise)
  readonly bias: number; // padded bias (packPointwise puts it after the panels)
  readonly residual: number; // (P, outStride) floats added after the clamp; 0 = none
  readonly output: number; // (P, outStride) floats
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** A multiple of POINTWISE_PANEL_WIDTH. */
  readonly channelStart: number;
  /** Any value in (channelStart, outChannels]. */
  readonly channelEnd: number;
  readonly inStride: number; // floats between input pixels, ≥ inChannels
  readonly outStride: number; // floats between output (and residual) pixels, ≥ outChannels
  /** Add to the output's current values instead of overwriting them (the bias is still added: pass a zero bias for all but one part). */
  readonly accumulate: boolean;
  readonly clampMin: number; // −Infinity for none, 0 for ReLU/ReLU6
  readonly clampMax: number; // +Infinity for none, 6 for ReLU6
}

type PointwiseField = keyof PointwiseDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts PW_*). */
export const POINTWISE_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  weights: { offset: 4, type: 'i32' },
  bias: { offset: 8, type: 'i32' },
  residual: { offset: 12, type: 'i32' },
  output: { offset: 16, type: 'i32' },
  pixelStart: { offset: 20, type: 'i32' },
  pixelEnd: { offset: 24, type: 'i32' },
  inChannels: { offset: 28, type: 'i32' },
  outChannels: { offset: 32, type: 'i32' },
  channelStart: { offset: 36, type: 'i32' },
  channelEnd: { offset: 40, type: 'i32' },
  inStride: { offset: 44, type: 'i32' },
  outStride: { offset: 48, type: 'i32' },
  accumulate: { offset: 52, type: 'i32' },
  clampMin: { offset: 56, type: 'f32' },
  clampMax: { offset: 60, type: 'f32' },
} as const satisfies Layout<PointwiseField>;

export const POINTWISE_DESC_BYTES = layoutBytes(POINTWISE_LAYOUT); // 64

/** Output channels per packed weight panel (the micro-kernel's tile width); channelStart must be a multiple. */
export const POINTWISE_PANEL_WIDTH = 16;

/**
 * Output channels of the packed weights and bias: panels of 16, the last one 8 wide when at most 8
 * channels remain for it (24 → 24, 20 → 32, 3 → 8).
 */
export function pointwisePackedChannels(outChannels: number): number {
  const rem = outChannels % 16;
  if (rem === 0) return outChannels;
  return outChannels - rem + (rem <= 8 ? 8 : 16);
}

/** Floats of packPointwise's result: the panels, then the padded bias (at pointwiseBiasOffset). */
export function pointwisePackedLength(inChannels: number, outChannels: number): number {
  return (inChannels + 1) * pointwisePackedChannels(outChannels);
}

/** Where the padded bias starts in packPointwise's result, in floats. */
export function pointwiseBiasOffset(inChannels: number, outChannels: number): number {
  return inChannels * pointwisePackedChannels(outChannels);
}

/**
 * Packs a (Cin, Cout) weight (the reference kernel's layout) and an optional bias for the kernel:
 * panel j (output channels 16j … 16j + 15) is [Cin][16] floats at 16j·Cin, the last panel [Cin][8]
 * when at most 8 channels remain; missing channels are zero. The padded bias follows the panels
 * (pointwiseBiasOffset); a null bias packs zeros. For a split over input channels (accumulate mode),
 * pack each slice of rows: weight.subarray(k0·Cout, k1·Cout) with inChannels = k1 − k0.
 */
export function packPointwise(weight: Float32Array, bias: Float32Array | null, inChannels: number, outChannels: number): Float32Array {
  const name = 'packPointwise';
  checkInt(name, 'inChannels', inChannels, 1);
  checkInt(name, 'outChannels', outChannels, 1);
  if (weight.length !== inChannels * outChannels) {
    fail(name, `weight has ${weight.length} elements, expected ${inChannels * outChannels} for shape (Cin=${inChannels}, Cout=${outChannels})`);
  }
  if (bias !== null && bias.length !== outChannels) fail(name, `bias has ${bias.length} elements, expected ${outChannels} (Cout)`);
  const padded = pointwisePackedChannels(outChannels);
  const packed = new Float32Array(pointwisePackedLength(inChannels, outChannels));
  for (let c0 = 0; c0 < padded; c0 += 16) {
    const width = Math.min(16, padded - c0);
    const panel = c0 * inChannels;
    const live = Math.min(width, outChannels - c0);
    for (let k = 0; k < inChannels; k++) {
      for (let j = 0; j < live; j++) packed[panel + k * width + j] = weight[k * outChannels + c0 + j]!;
    }
  }
  if (bias !== null) packed.set(bias, pointwiseBiasOffset(inChannels, outChannels));
  return packed;
}

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writePointwiseDesc(view: DataView, at: number, d: PointwiseDesc): void {
  const name = 'pointwise';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'weights', 'bias', 'output'] as const) checkPointer(name, key, d[key]);
  checkPointer(name, 'residual', d.residual);
  const inChannels = checkInt(name, 'inChannels', d.inChannels, 1);
  const outChannels = checkInt(name, 'outChannels', d.outChannels, 1);
  checkRange(name, 'pixelStart', checkInt(name, 'pixelStart', d.pixelStart, 0), 'pixelEnd', checkInt(name, 'pixelEnd', d.pixelEnd, 0), 'pixelEnd', Infinity);
  checkRange(name, 'channelStart', checkInt(name, 'channelStart', d.channelStart, 0), 'channelEnd', checkInt(name, 'channelEnd', d.channelEnd, 0), 'outChannels', outChannels);
  if (d.channelStart % POINTWISE_PANEL_WIDTH !== 0) {
    fail(name, `desc.channelStart = ${d.channelStart}, expected a multiple of the panel width ${POINTWISE_PANEL_WIDTH}`);
  }
  if (checkInt(name, 'inStride', d.inStride, 1) < inChannels) fail(name, `desc.inStride = ${d.inStride}, expected ≥ inChannels (${inChannels})`);
  if (checkInt(name, 'outStride', d.outStride, 1) < outChannels) fail(name, `desc.outStride = ${d.outStride}, expected ≥ outChannels (${outChannels})`);
  if (typeof d.accumulate !== 'boolean') fail(name, `desc.accumulate = ${String(d.accumulate)}, expected a boolean`);
  checkClamp(name, d.clampMin, d.clampMax);
  if (at + POINTWISE_DESC_BYTES > view.byteLength) fail(name, `descriptor at ${at} does not fit in the memory (${view.byteLength} bytes)`);
  writeFields(view, at, POINTWISE_LAYOUT, { ...d, accumulate: d.accumulate ? 1 : 0 });
}
