/**
 * depthwise3x3: the 3×3 depthwise convolution kernel (multiplier 1, any stride and dilation, NHWC).
 * Descriptor layout, writer and weight packing; the kernel itself is assembly/depthwise3x3.ts.
 */
import { fail } from '../ref/checks.js';
import { checkClamp, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout, type DepthwiseGeometry } from './descriptor.js';

/**
 * out[oy, ox, c] = clamp(bias[c] + Σ_{ky,kx} in[oy·strideH − padTop + ky·dilationH,
 *                                             ox·strideW − padLeft + kx·dilationW, c] · w[ky, kx, c])
 * for oy in [rowStart, rowEnd), every ox < outWidth and c < channels; taps outside the input are zero
 * (and never read). Input row r lives at input + (r − inputRowBase)·inWidth·inStride·4, so `input` may
 * point at a band of rows; output row oy lives at output + oy·outWidth·outStride·4 (absolute).
 */
export interface Depthwise3x3Desc extends DepthwiseGeometry {
  readonly input: number;
  readonly weights: number; // packDepthwise3x3: per group of 4 channels [bias(4)][k0(4)] … [k8(4)]
  readonly output: number;
  /** The input row that `input` points at (0 for a whole tensor). */
  readonly inputRowBase: number;
  readonly clampMin: number;
  readonly clampMax: number;
}

type Depthwise3x3Field = keyof Depthwise3x3Desc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts DW_*). */
export const DEPTHWISE3X3_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  weights: { offset: 4, type: 'i32' },
  output: { offset: 8, type: 'i32' },
  inHeight: { offset: 12, type: 'i32' },
  inWidth: { offset: 16, type: 'i32' },
  channels: { offset: 20, type: 'i32' },
  inStride: { offset: 24, type: 'i32' },
  outStride: { offset: 28, type: 'i32' },
  strideH: { offset: 32, type: 'i32' },
  strideW: { offset: 36, type: 'i32' },
  dilationH: { offset: 40, type: 'i32' },
  dilationW: { offset: 44, type: 'i32' },
  padTop: { offset: 48, type: 'i32' },
  padLeft: { offset: 52, type: 'i32' },
  outHeight: { offset: 56, type: 'i32' },
  outWidth: { offset: 60, type: 'i32' },
  rowStart: { offset: 64, type: 'i32' },
  rowEnd: { offset: 68, type: 'i32' },
  inputRowBase: { offset: 72, type: 'i32' },
  clampMin: { offset: 76, type: 'f32' },
  clampMax: { offset: 80, type: 'f32' },
} as const satisfies Layout<Depthwise3x3Field>;

export const DEPTHWISE3X3_DESC_BYTES = layoutBytes(DEPTHWISE3X3_LAYOUT); // 84

/** Floats of packDepthwise3x3's result: 40 per group of 4 channels. */
export function depthwise3x3PackedLength(channels: number): number {
  return Math.ceil(channels / 4) * 40;
}

/**
 * Packs a (3, 3, C, 1) weight (the reference layout, multiplier 1) and an optional bias: for each
 * group of 4 channels, 10 vectors of 4 floats: the bias, then taps k0 … k8 (k = ky·3 + kx). The last
 * group's missing channels are zero.
 */
export function packDepthwise3x3(weight: Float32Array, bias: Float32Array | null, channels: number): Float32Array {
  const name = 'packDepthwise3x3';
  checkInt(name, 'channels', channels, 1);
  if (weight.length !== 9 * channels) fail(name, `weight has ${weight.length} elements, expected ${9 * channels} for shape (3, 3, C=${channels}, 1)`);
  if (bias !== null && bias.length !== channels) fail(name, `bias has ${bias.length} elements, expected ${channels} (C)`);
  const packed = new Float32Array(depthwise3x3PackedLength(channels));
  for (let c = 0; c < channels; c++) {
    const block = (c >> 2) * 40 + (c & 3);
    if (bias !== null) packed[block] = bias[c]!;
    for (let k = 0; k < 9; k++) packed[block + 4 * (k + 1)] = weight[k * channels + c]!;
  }
  return packed;
}

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeDepthwise3x3Desc(view: DataView, at: number, d: Depthwise3x3Desc): void {
  const name = 'depthwise3x3';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'weights', 'output'] as const) checkPointer(name, key, d[key]);
  for (const key of ['inHeight', 'inWidth', 'channels', 'strideH', 'strideW', 'dilationH', 'dilationW', 'outHeight', 'outWidth'] as const) {
    checkInt(name, key, d[key], 1);
  }
  for (const key of ['padTop', 'padLeft', 'rowStart', 'rowEnd', 'inputRowBase'] as const) checkInt(name, key, d[key], 0);
  if (checkInt(name, 'inStride', d.inStride, 1) < d.channels) fail(name, `desc.inStride = ${d.inStride}, expected ≥ channels (${d.channels})`);
  if (checkInt(name, 'outStride', d.outStride, 1) < d.channels) fail(name, `desc.outStride = ${d.outStride}, expected ≥ channels (${d.channels})`);
  checkRange(name, 'rowStart', d.rowStart, 'rowEnd', d.rowEnd, 'outHeight', d.outHeight);
  checkClamp(name, d.clampMin, d.clampMax);
  if (at + DEPTHWISE3X3_DESC_BYTES > view.byteLength) fail(name, `descriptor at ${at} does not fit in the memory (${view.byteLength} bytes)`);
  writeFields(view, at, DEPTHWISE3X3_LAYOUT, d);
}
