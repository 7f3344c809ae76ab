/**
 * Writing kernel descriptors: a layout is an ordered table of field → byte offset (and whether the
 * field is an f32), mirrored from assembly/layout.ts. Values are checked before they are written so
 * that a bad descriptor fails in TypeScript with a message instead of corrupting memory in WASM.
 */
import { fail } from '../ref/checks.js';

export interface FieldSpec {
  readonly offset: number;
  readonly type: 'i32' | 'f32';
}

export type Layout<K extends string> = { readonly [key in K]: FieldSpec };

const MAX_U32 = 2 ** 32 - 1;

/**
 * A byte offset into the memory: a whole, non-negative, 4-byte aligned number below 2³². Any value is
 * accepted, 0 included: a caller that keeps only a band of a tensor passes band − first·rowBytes, which
 * may wrap around (use `>>> 0`). Only `residual` gives 0 a meaning ("none").
 */
export function checkPointer(kernel: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_U32 || value % 4 !== 0) {
    fail(kernel, `desc.${name} = ${String(value)}, expected a 4-byte aligned byte offset into the memory (0 … 2³² − 4)`);
  }
  return value;
}

export function checkInt(kernel: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > 2 ** 31 - 1) {
    fail(kernel, `desc.${name} = ${String(value)}, expected an integer ≥ ${min}`);
  }
  return value;
}

/** A byte offset of float64 data: like checkPointer, 8-byte aligned. */
export function checkF64Pointer(kernel: string, name: string, value: unknown): number {
  checkPointer(kernel, name, value);
  if ((value as number) % 8 !== 0) fail(kernel, `desc.${name} = ${String(value)}, expected an 8-byte aligned byte offset (float64 data)`);
  return value as number;
}

export function checkBoolean(kernel: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(kernel, `desc.${name} = ${String(value)}, expected a boolean`);
  return value;
}

/** The descriptor must fit in the memory (view) at byte `at`. */
export function checkFits(kernel: string, view: DataView, at: number, bytes: number): void {
  if (at + bytes > view.byteLength) fail(kernel, `descriptor at ${at} does not fit in the memory (${view.byteLength} bytes)`);
}

export function checkClamp(kernel: string, min: unknown, max: unknown): void {
  if (typeof min !== 'number' || Number.isNaN(min) || typeof max !== 'number' || Number.isNaN(max) || !(min <= max)) {
    fail(kernel, `desc.clampMin = ${String(min)}, desc.clampMax = ${String(max)}, expected numbers with clampMin ≤ clampMax (±Infinity for none)`);
  }
}

export function checkRange(kernel: string, startName: string, start: number, endName: string, end: number, limitName: string, limit: number): void {
  if (!(start <= end && end <= limit)) {
    fail(kernel, `desc.${startName} = ${start}, desc.${endName} = ${end}, expected ${startName} ≤ ${endName} ≤ ${limitName} (${limit})`);
  }
}

/** Writes every field of `values` at `at` per `layout` (little-endian). */
export function writeFields<K extends string>(view: DataView, at: number, layout: Layout<K>, values: { readonly [key in K]: number }): void {
  for (const key of Object.keys(layout) as K[]) {
    const { offset, type } = layout[key];
    if (type === 'f32') view.setFloat32(at + offset, values[key], true);
    else view.setUint32(at + offset, values[key] >>> 0, true);
  }
}

/** The descriptor's size in bytes: one past its last field. */
export function layoutBytes<K extends string>(layout: Layout<K>): number {
  let end = 0;
  for (const key of Object.keys(layout) as K[]) end = Math.max(end, layout[key].offset + 4);
  return end;
}

/** Kernel ids of the module's layoutOffset/descriptorBytes exports. */
export const KERNEL_IDS = {
  pointwise: 0, depthwise3x3: 1, conv2dDirect: 2, globalAvgPool: 3,
  pointwiseWeightGrad: 4, depthwise3x3BackwardInput: 5, depthwise3x3BackwardWeight: 6, conv2dDirectBackwardWeight: 7,
  channelStats: 8, scaleShiftClamp: 9, bnBackwardReduce: 10, bnBackwardApply: 11, addInPlace: 12, globalAvgPoolBackward: 13,
} as const;

/**
 * The sliding-window geometry every convolution descriptor carries (the gradient kernels take the
 * forward's): sizes, strides, dilation, top/left padding (bottom/right follow from the output size)
 * and the output-row sub-range a call computes.
 */
export interface WindowGeometry {
  readonly inHeight: number;
  readonly inWidth: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly rowStart: number;
  readonly rowEnd: number;
}

/** The depthwise kernels' geometry: a window, the channels, and the floats between pixels. */
export interface DepthwiseGeometry extends WindowGeometry {
  readonly channels: number;
  /** Floats between input (or input-gradient) pixels, ≥ channels. */
  readonly inStride: number;
  /** Floats between output (or output-gradient) pixels, ≥ channels. */
  readonly outStride: number;
}

/** The direct convolution's geometry: a window with input and output channels and a k×k kernel. */
export interface DirectConvGeometry extends WindowGeometry {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelH: number;
  readonly kernelW: number;
}
