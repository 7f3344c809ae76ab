/**
 * depthwise3x3BackwardInput: the input gradient of the 3×3 depthwise convolution (multiplier 1, any
 * stride and dilation), a gather over output positions. Descriptor layout, writer and weight packing
 * (the taps rotated by 180°, packDepthwise3x3Transposed); the kernel itself is
 * assembly/depthwise3x3BackwardInput.ts.
 */
import { fail } from '../ref/checks.js';
import { checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout, type DepthwiseGeometry } from './descriptor.js';
import { packDepthwise3x3 } from './depthwise3x3.js';

/**
 * gradInput[iy, ix, c] = Σ_{ky,kx} w[ky, kx, c]·gradOutput[oy, ox, c] over the (oy, ox) with
 *   oy·strideH − padTop + ky·dilationH = iy, ox·strideW − padLeft + kx·dilationW = ix,
 *   0 ≤ oy < outHeight, 0 ≤ ox < outWidth
 * for input rows iy ∈ [rowStart, rowEnd), every ix < inWidth and c < channels (OVERWRITTEN; pixels no
 * window reads get 0). The geometry is the forward's (depthwise3x3's descriptor): gradOutput row oy
 * at gradOutput + oy·outWidth·outStride·4, gradInput row iy at gradInput + iy·inWidth·inStride·4.
 */
export interface Depthwise3x3BackwardInputDesc extends DepthwiseGeometry {
  readonly gradOutput: number;
  readonly weights: number; // packDepthwise3x3Transposed(weight, C): the rotated taps
  readonly gradInput: number;
  /** Input rows: threads split them. */
}

type Depthwise3x3BackwardInputField = keyof Depthwise3x3BackwardInputDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts DBI_*). */
export const DEPTHWISE3X3_BACKWARD_INPUT_LAYOUT = {
  gradOutput: { offset: 0, type: 'i32' },
  weights: { offset: 4, type: 'i32' },
  gradInput: { offset: 8, type: 'i32' },
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
} as const satisfies Layout<Depthwise3x3BackwardInputField>;

export const DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES = layoutBytes(DEPTHWISE3X3_BACKWARD_INPUT_LAYOUT); // 72

/**
 * Packs a (3, 3, C, 1) depthwise weight for depthwise3x3BackwardInput: the kernel rotated by 180°
 * (tap (ky, kx) moves to (2 − ky, 2 − kx)) in packDepthwise3x3's layout with a zero bias. With it the
 * stride-1 input gradient is the forward depthwise correlation of dY (padding 2·dilation − pad), and
 * the kernel runs on the forward's code. The same pack serves every stride.
 */
export function packDepthwise3x3Transposed(weight: Float32Array, channels: number): Float32Array {
  const name = 'packDepthwise3x3Transposed';
  checkInt(name, 'channels', channels, 1);
  if (weight.length !== 9 * channels) fail(name, `weight has ${weight.length} elements, expected ${9 * channels} for shape (3, 3, C=${channels}, 1)`);
  const rotated = new Float32Array(9 * channels);
  for (let k = 0; k < 9; k++) rotated.set(weight.subarray(k * channels, (k + 1) * channels), (8 - k) * channels);
  return packDepthwise3x3(rotated, null, channels);
}

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeDepthwise3x3BackwardInputDesc(view: DataView, at: number, d: Depthwise3x3BackwardInputDesc): void {
  const name = 'depthwise3x3BackwardInput';
  checkPointer(name, 'at', at);
  for (const key of ['gradOutput', 'weights', 'gradInput'] as const) checkPointer(name, key, d[key]);
  for (const key of ['inHeight', 'inWidth', 'channels', 'strideH', 'strideW', 'dilationH', 'dilationW', 'outHeight', 'outWidth'] as const) {
    checkInt(name, key, d[key], 1);
  }
  for (const key of ['padTop', 'padLeft', 'rowStart', 'rowEnd'] as const) checkInt(name, key, d[key], 0);
  if (checkInt(name, 'inStride', d.inStride, 1) < d.channels) fail(name, `desc.inStride = ${d.inStride}, expected ≥ channels (${d.channels})`);
  if (checkInt(name, 'outStride', d.outStride, 1) < d.channels) fail(name, `desc.outStride = ${d.outStride}, expected ≥ channels (${d.channels})`);
  checkRange(name, 'rowStart', d.rowStart, 'rowEnd', d.rowEnd, 'inHeight', d.inHeight);
  checkFits(name, view, at, DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES);
  writeFields(view, at, DEPTHWISE3X3_BACKWARD_INPUT_LAYOUT, d);
}
