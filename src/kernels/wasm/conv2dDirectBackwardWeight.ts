/**
 * conv2dDirectBackwardWeight: the weight (and bias) gradient of conv2dDirect (the stem; groups = 1).
 * Descriptor layout and writer; the kernel itself is assembly/conv2dDirectBackwardWeight.ts. The
 * stem's input gradient is never needed (its input is the image), so there is no kernel for it.
 */
import { checkBoolean, checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout, type DirectConvGeometry } from './descriptor.js';

/**
 * gradWeight[ky, kx, ci, co] (+)= Σ_{oy ∈ [rowStart, rowEnd), ox} input[oy·strideH − padTop + ky·dilationH,
 *                                                             ox·strideW − padLeft + kx·dilationW, ci]·gradOutput[oy, ox, co]
 * gradBias[co] (+)= Σ gradOutput[oy, ox, co]   (when gradBias ≠ 0)
 * for co ∈ [channelStart, channelEnd) (threads may split them), taps outside the input counting as 0.
 * Dense NHWC input (inHeight, inWidth, inChannels) and gradOutput (outHeight, outWidth, outChannels) of
 * one image; gradWeight is the reference (kh, kw, Cin, Cout) layout, dense.
 */
export interface Conv2dDirectBackwardWeightDesc extends DirectConvGeometry {
  readonly input: number;
  readonly gradOutput: number;
  readonly gradWeight: number; // (kh, kw, Cin, Cout) floats
  readonly gradBias: number; // (Cout) floats, 0 = none
  readonly channelStart: number;
  readonly channelEnd: number;
  /** Add to gradWeight / gradBias instead of overwriting them. */
  readonly accumulate: boolean;
}

type Conv2dDirectBackwardWeightField = keyof Conv2dDirectBackwardWeightDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts CBW_*). */
export const CONV2D_DIRECT_BACKWARD_WEIGHT_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  gradOutput: { offset: 4, type: 'i32' },
  gradWeight: { offset: 8, type: 'i32' },
  gradBias: { offset: 12, type: 'i32' },
  inHeight: { offset: 16, type: 'i32' },
  inWidth: { offset: 20, type: 'i32' },
  inChannels: { offset: 24, type: 'i32' },
  outChannels: { offset: 28, type: 'i32' },
  kernelH: { offset: 32, type: 'i32' },
  kernelW: { offset: 36, type: 'i32' },
  strideH: { offset: 40, type: 'i32' },
  strideW: { offset: 44, type: 'i32' },
  dilationH: { offset: 48, type: 'i32' },
  dilationW: { offset: 52, type: 'i32' },
  padTop: { offset: 56, type: 'i32' },
  padLeft: { offset: 60, type: 'i32' },
  outHeight: { offset: 64, type: 'i32' },
  outWidth: { offset: 68, type: 'i32' },
  rowStart: { offset: 72, type: 'i32' },
  rowEnd: { offset: 76, type: 'i32' },
  channelStart: { offset: 80, type: 'i32' },
  channelEnd: { offset: 84, type: 'i32' },
  accumulate: { offset: 88, type: 'i32' },
} as const satisfies Layout<Conv2dDirectBackwardWeightField>;

export const CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES = layoutBytes(CONV2D_DIRECT_BACKWARD_WEIGHT_LAYOUT); // 92

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeConv2dDirectBackwardWeightDesc(view: DataView, at: number, d: Conv2dDirectBackwardWeightDesc): void {
  const name = 'conv2dDirectBackwardWeight';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'gradOutput', 'gradWeight', 'gradBias'] as const) checkPointer(name, key, d[key]);
  for (const key of [
    'inHeight', 'inWidth', 'inChannels', 'outChannels', 'kernelH', 'kernelW', 'strideH', 'strideW', 'dilationH', 'dilationW', 'outHeight', 'outWidth',
  ] as const) {
    checkInt(name, key, d[key], 1);
  }
  for (const key of ['padTop', 'padLeft', 'rowStart', 'rowEnd', 'channelStart', 'channelEnd'] as const) checkInt(name, key, d[key], 0);
  checkRange(name, 'rowStart', d.rowStart, 'rowEnd', d.rowEnd, 'outHeight', d.outHeight);
  checkRange(name, 'channelStart', d.channelStart, 'channelEnd', d.channelEnd, 'outChannels', d.outChannels);
  checkBoolean(name, 'accumulate', d.accumulate);
  checkFits(name, view, at, CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES);
  writeFields(view, at, CONV2D_DIRECT_BACKWARD_WEIGHT_LAYOUT, { ...d, accumulate: d.accumulate ? 1 : 0 });
}
