/**
 * globalAvgPoolBackward: the gradient of globalAvgPool for one image. Descriptor layout and writer;
 * the kernel itself is assembly/globalAvgPoolBackward.ts.
 */
import { fail } from '../ref/checks.js';
import { checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';

/** gradInput[p, c] = gradOutput[c] / pixels for p ∈ [pixelStart, pixelEnd), every c < channels (OVERWRITTEN). */
export interface GlobalAvgPoolBackwardDesc {
  readonly gradOutput: number; // (channels) floats
  readonly gradInput: number; // (pixels, stride) floats
  readonly pixels: number; // the image's H·W
  readonly channels: number;
  readonly stride: number; // floats between gradInput pixels, ≥ channels
  readonly pixelStart: number;
  readonly pixelEnd: number;
}

type GlobalAvgPoolBackwardField = keyof GlobalAvgPoolBackwardDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts GPB_*). */
export const GLOBAL_AVG_POOL_BACKWARD_LAYOUT = {
  gradOutput: { offset: 0, type: 'i32' },
  gradInput: { offset: 4, type: 'i32' },
  pixels: { offset: 8, type: 'i32' },
  channels: { offset: 12, type: 'i32' },
  stride: { offset: 16, type: 'i32' },
  pixelStart: { offset: 20, type: 'i32' },
  pixelEnd: { offset: 24, type: 'i32' },
} as const satisfies Layout<GlobalAvgPoolBackwardField>;

export const GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES = layoutBytes(GLOBAL_AVG_POOL_BACKWARD_LAYOUT); // 28

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeGlobalAvgPoolBackwardDesc(view: DataView, at: number, d: GlobalAvgPoolBackwardDesc): void {
  const name = 'globalAvgPoolBackward';
  checkPointer(name, 'at', at);
  checkPointer(name, 'gradOutput', d.gradOutput);
  checkPointer(name, 'gradInput', d.gradInput);
  const pixels = checkInt(name, 'pixels', d.pixels, 1);
  const channels = checkInt(name, 'channels', d.channels, 1);
  if (checkInt(name, 'stride', d.stride, 1) < channels) fail(name, `desc.stride = ${d.stride}, expected ≥ channels (${channels})`);
  checkRange(name, 'pixelStart', checkInt(name, 'pixelStart', d.pixelStart, 0), 'pixelEnd', checkInt(name, 'pixelEnd', d.pixelEnd, 0), 'pixels', pixels);
  checkFits(name, view, at, GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES);
  writeFields(view, at, GLOBAL_AVG_POOL_BACKWARD_LAYOUT, d);
}
