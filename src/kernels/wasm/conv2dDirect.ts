/**
 * conv2dDirect: a direct k×k convolution for few input channels (MobileNet's stem), NHWC, dense
 * pixels. Descriptor layout, writer and weight packing; the kernel itself is assembly/conv2dDirect.ts.
 */
import { fail } from '../ref/checks.js';
import { checkClamp, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout, type DirectConvGeometry } from './descriptor.js';

/**
 * out[oy, ox, o] = clamp(bias[o] + Σ_{ky,kx,ci} in[oy·strideH − padTop + ky·dilationH,
 *                                                  ox·strideW − padLeft + kx·dilationW, ci] · w[ky, kx, ci, o])
 * for oy in [rowStart, rowEnd), every ox < outWidth and o < outChannels; taps outside the input are
 * zero and never read. Input (inHeight, inWidth, inChannels) and output (outHeight, outWidth,
 * outChannels) are dense NHWC images (one batch item per call).
 */
export interface Conv2dDirectDesc extends DirectConvGeometry {
  readonly input: number;
  readonly weights: number; // packConv2dDirect: [kh·kw·Cin][Cout padded to 8]
  readonly bias: number; // padded bias (packConv2dDirect puts it after the weights)
  readonly output: number;
  readonly clampMin: number;
  readonly clampMax: number;
}

type Conv2dDirectField = keyof Conv2dDirectDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts CV_*). */
export const CONV2D_DIRECT_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  weights: { offset: 4, type: 'i32' },
  bias: { offset: 8, type: 'i32' },
  output: { offset: 12, type: 'i32' },
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
  clampMin: { offset: 80, type: 'f32' },
  clampMax: { offset: 84, type: 'f32' },
} as const satisfies Layout<Conv2dDirectField>;

export const CONV2D_DIRECT_DESC_BYTES = layoutBytes(CONV2D_DIRECT_LAYOUT); // 88

/** Output channels are padded to a multiple of this in the packed weights and bias. */
export const CONV2D_DIRECT_CHANNEL_ALIGN = 8;

export function conv2dDirectPackedChannels(outChannels: number): number {
  return Math.ceil(outChannels / CONV2D_DIRECT_CHANNEL_ALIGN) * CONV2D_DIRECT_CHANNEL_ALIGN;
}

/** Floats of packConv2dDirect's result: the weights, then the padded bias. */
export function conv2dDirectPackedLength(kernelH: number, kernelW: number, inChannels: number, outChannels: number): number {
  return (kernelH * kernelW * inChannels + 1) * conv2dDirectPackedChannels(outChannels);
}

/** Where the padded bias starts in packConv2dDirect's result, in floats. */
export function conv2dDirectBiasOffset(kernelH: number, kernelW: number, inChannels: number, outChannels: number): number {
  return kernelH * kernelW * inChannels * conv2dDirectPackedChannels(outChannels);
}

/**
 * Packs a (kh, kw, Cin, Cout) HWIO weight (the reference layout, groups = 1) and an optional bias:
 * rows (ky, kx, ci) of Cout floats padded with zeros to a multiple of 8, then the padded bias.
 */
export function packConv2dDirect(
  weight: Float32Array,
  bias: Float32Array | null,
  kernelH: number,
  kernelW: number,
  inChannels: number,
  outChannels: number,
): Float32Array {
  const name = 'packConv2dDirect';
  for (const [key, value] of [['kernelH', kernelH], ['kernelW', kernelW], ['inChannels', inChannels], ['outChannels', outChannels]] as const) {
    checkInt(name, key, value, 1);
  }
  const rows = kernelH * kernelW * inChannels;
  if (weight.length !== rows * outChannels) {
    fail(name, `weight has ${weight.length} elements, expected ${rows * outChannels} for shape (kh=${kernelH}, kw=${kernelW}, Cin=${inChannels}, Cout=${outChannels})`);
  }
  if (bias !== null && bias.length !== outChannels) fail(name, `bias has ${bias.length} elements, expected ${outChannels} (Cout)`);
  const padded = conv2dDirectPackedChannels(outChannels);
  const packed = new Float32Array(conv2dDirectPackedLength(kernelH, kernelW, inChannels, outChannels));
  for (let r = 0; r < rows; r++) packed.set(weight.subarray(r * outChannels, (r + 1) * outChannels), r * padded);
  if (bias !== null) packed.set(bias, rows * padded);
  return packed;
}

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeConv2dDirectDesc(view: DataView, at: number, d: Conv2dDirectDesc): void {
  const name = 'conv2dDirect';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'weights', 'bias', 'output'] as const) checkPointer(name, key, d[key]);
  for (const key of [
    'inHeight', 'inWidth', 'inChannels', 'outChannels', 'kernelH', 'kernelW', 'strideH', 'strideW', 'dilationH', 'dilationW', 'outHeight', 'outWidth',
  ] as const) {
    checkInt(name, key, d[key], 1);
  }
  for (const key of ['padTop', 'padLeft', 'rowStart', 'rowEnd'] as const) checkInt(name, key, d[key], 0);
  checkRange(name, 'rowStart', d.rowStart, 'rowEnd', d.rowEnd, 'outHeight', d.outHeight);
  checkClamp(name, d.clampMin, d.clampMax);
  if (at + CONV2D_DIRECT_DESC_BYTES > view.byteLength) fail(name, `descriptor at ${at} does not fit in the memory (${view.byteLength} bytes)`);
  writeFields(view, at, CONV2D_DIRECT_LAYOUT, d);
}
