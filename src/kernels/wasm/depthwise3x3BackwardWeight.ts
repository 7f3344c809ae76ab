/**
 * depthwise3x3BackwardWeight: the weight (and bias) gradient of the 3×3 depthwise convolution
 * (multiplier 1, any stride and dilation). Descriptor layout and writer; the kernel itself is
 * assembly/depthwise3x3BackwardWeight.ts.
 */
import { fail } from '../ref/checks.js';
import { checkBoolean, checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout, type DepthwiseGeometry } from './descriptor.js';

/**
 * gradWeight[ky, kx, c] (+)= Σ_{oy ∈ [rowStart, rowEnd), ox} input[oy·strideH − padTop + ky·dilationH,
 *                                                            ox·strideW − padLeft + kx·dilationW, c]·gradOutput[oy, ox, c]
 * gradBias[c] (+)= Σ gradOutput[oy, ox, c]   (when gradBias ≠ 0)
 * for c ∈ [channelStart, channelEnd) (threads split channels), taps outside the input counting as 0.
 * One image per call: a batch is one call per image with `accumulate` after the first. gradWeight is
 * the reference layout (3, 3, C, 1): tap (ky, kx) of channel c at gradWeight + ((ky·3 + kx)·C + c)·4.
 */
export interface Depthwise3x3BackwardWeightDesc extends DepthwiseGeometry {
  readonly input: number; // the forward's input, row r at input + r·inWidth·inStride·4
  readonly gradOutput: number; // row oy at gradOutput + oy·outWidth·outStride·4
  readonly gradWeight: number; // (3, 3, C) floats
  readonly gradBias: number; // (C) floats, 0 = none
  /** Output rows summed over. */
  readonly channelStart: number;
  readonly channelEnd: number;
  /** Add to gradWeight / gradBias instead of overwriting them. */
  readonly accumulate: boolean;
}

type Depthwise3x3BackwardWeightField = keyof Depthwise3x3BackwardWeightDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts DBW_*). */
export const DEPTHWISE3X3_BACKWARD_WEIGHT_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  gradOutput: { offset: 4, type: 'i32' },
  gradWeight: { offset: 8, type: 'i32' },
  gradBias: { offset: 12, type: 'i32' },
  inHeight: { offset: 16, type: 'i32' },
  inWidth: { offset: 20, type: 'i32' },
  channels: { offset: 24, type: 'i32' },
  inStride: { offset: 28, type: 'i32' },
  outStride: { offset: 32, type: 'i32' },
  strideH: { offset: 36, type: 'i32' },
  strideW: { offset: 40, type: 'i32' },
  dilationH: { offset: 44, type: 'i32' },
  dilationW: { offset: 48, type: 'i32' },
  padTop: { offset: 52, type: 'i32' },
  padLeft: { offset: 56, type: 'i32' },
  outHeight: { offset: 60, type: 'i32' },
  outWidth: { offset: 64, type: 'i32' },
  rowStart: { offset: 68, type: 'i32' },
  rowEnd: { offset: 72, type: 'i32' },
  channelStart: { offset: 76, type: 'i32' },
  channelEnd: { offset: 80, type: 'i32' },
  accumulate: { offset: 84, type: 'i32' },
} as const satisfies Layout<Depthwise3x3BackwardWeightField>;

export const DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES = layoutBytes(DEPTHWISE3X3_BACKWARD_WEIGHT_LAYOUT); // 88

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeDepthwise3x3BackwardWeightDesc(view: DataView, at: number, d: Depthwise3x3BackwardWeightDesc): void {
  const name = 'depthwise3x3BackwardWeight';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'gradOutput', 'gradWeight', 'gradBias'] as const) checkPointer(name, key, d[key]);
  for (const key of ['inHeight', 'inWidth', 'channels', 'strideH', 'strideW', 'dilationH', 'dilationW', 'outHeight', 'outWidth'] as const) {
    checkInt(name, key, d[key], 1);
  }
  for (const key of ['padTop', 'padLeft', 'rowStart', 'rowEnd', 'channelStart', 'channelEnd'] as const) checkInt(name, key, d[key], 0);
  if (checkInt(name, 'inStride', d.inStride, 1) < d.channels) fail(name, `desc.inStride = ${d.inStride}, expected ≥ channels (${d.channels})`);
  if (checkInt(name, 'outStride', d.outStride, 1) < d.channels) fail(name, `desc.outStride = ${d.outStride}, expected ≥ channels (${d.channels})`);
  checkRange(name, 'rowStart', d.rowStart, 'rowEnd', d.rowEnd, 'outHeight', d.outHeight);
  checkRange(name, 'channelStart', d.channelStart, 'channelEnd', d.channelEnd, 'channels', d.channels);
  checkBoolean(name, 'accumulate', d.accumulate);
  checkFits(name, view, at, DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES);
  writeFields(view, at, DEPTHWISE3X3_BACKWARD_WEIGHT_LAYOUT, { ...d, accumulate: d.accumulate ? 1 : 0 });
}
