/**
 * scaleShiftClamp: batch norm applied with per-channel scale and shift, fused with the clamp
 * activation. Descriptor layout and writer; the kernel itself is assembly/scaleShiftClamp.ts.
 */
import { fail } from '../ref/checks.js';
import { checkClamp, checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';

/**
 * output[p, c] = clamp(input[p, c]·scale[c] + shift[c], clampMin, clampMax)
 * for p ∈ [pixelStart, pixelEnd), every c < channels. In place allowed (output = input). Pixel p at
 * ptr + p·stride·4 for both. Training BN: scale = γ·invStd, shift = β − mean·scale (batchNormFromSums).
 */
export interface ScaleShiftClampDesc {
  readonly input: number; // (P, stride) floats
  readonly output: number; // (P, stride) floats, may be input
  readonly scale: number; // (C) floats
  readonly shift: number; // (C) floats
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly channels: number;
  readonly stride: number; // floats between pixels, ≥ channels
  readonly clampMin: number; // −Infinity for none, 0 for ReLU / ReLU6
  readonly clampMax: number; // +Infinity for none, 6 for ReLU6
}

type ScaleShiftClampField = keyof ScaleShiftClampDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts SSC_*). */
export const SCALE_SHIFT_CLAMP_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  output: { offset: 4, type: 'i32' },
  scale: { offset: 8, type: 'i32' },
  shift: { offset: 12, type: 'i32' },
  pixelStart: { offset: 16, type: 'i32' },
  pixelEnd: { offset: 20, type: 'i32' },
  channels: { offset: 24, type: 'i32' },
  stride: { offset: 28, type: 'i32' },
  clampMin: { offset: 32, type: 'f32' },
  clampMax: { offset: 36, type: 'f32' },
} as const satisfies Layout<ScaleShiftClampField>;

export const SCALE_SHIFT_CLAMP_DESC_BYTES = layoutBytes(SCALE_SHIFT_CLAMP_LAYOUT); // 40

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeScaleShiftClampDesc(view: DataView, at: number, d: ScaleShiftClampDesc): void {
  const name = 'scaleShiftClamp';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'output', 'scale', 'shift'] as const) checkPointer(name, key, d[key]);
  const channels = checkInt(name, 'channels', d.channels, 1);
  checkRange(name, 'pixelStart', checkInt(name, 'pixelStart', d.pixelStart, 0), 'pixelEnd', checkInt(name, 'pixelEnd', d.pixelEnd, 0), 'pixelEnd', Infinity);
  if (checkInt(name, 'stride', d.stride, 1) < channels) fail(name, `desc.stride = ${d.stride}, expected ≥ channels (${channels})`);
  checkClamp(name, d.clampMin, d.clampMax);
  checkFits(name, view, at, SCALE_SHIFT_CLAMP_DESC_BYTES);
  writeFields(view, at, SCALE_SHIFT_CLAMP_LAYOUT, d);
}
