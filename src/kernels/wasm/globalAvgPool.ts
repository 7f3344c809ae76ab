/**
 * globalAvgPool: the mean over the pixels of one (pixels, channels) NHWC image. Descriptor layout and
 * writer; the kernel itself is assembly/globalAvgPool.ts. A batch is one call (or descriptor) per item.
 */
import { fail } from '../ref/checks.js';
import { checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';

/** output[c] = Σ_p input[p·stride + c] / pixels for c in [channelStart, channelEnd). */
export interface GlobalAvgPoolDesc {
  readonly input: number; // (pixels, stride) floats
  readonly output: number; // (channels) floats; only [channelStart, channelEnd) written
  readonly pixels: number;
  readonly channels: number;
  readonly stride: number; // floats between pixels, ≥ channels
  readonly channelStart: number;
  readonly channelEnd: number;
}

type GlobalAvgPoolField = keyof GlobalAvgPoolDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts GP_*). */
export const GLOBAL_AVG_POOL_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  output: { offset: 4, type: 'i32' },
  pixels: { offset: 8, type: 'i32' },
  channels: { offset: 12, type: 'i32' },
  stride: { offset: 16, type: 'i32' },
  channelStart: { offset: 20, type: 'i32' },
  channelEnd: { offset: 24, type: 'i32' },
} as const satisfies Layout<GlobalAvgPoolField>;

export const GLOBAL_AVG_POOL_DESC_BYTES = layoutBytes(GLOBAL_AVG_POOL_LAYOUT); // 28

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeGlobalAvgPoolDesc(view: DataView, at: number, d: GlobalAvgPoolDesc): void {
  const name = 'globalAvgPool';
  checkPointer(name, 'at', at);
  checkPointer(name, 'input', d.input);
  checkPointer(name, 'output', d.output);
  checkInt(name, 'pixels', d.pixels, 1);
  const channels = checkInt(name, 'channels', d.channels, 1);
  if (checkInt(name, 'stride', d.stride, 1) < channels) fail(name, `desc.stride = ${d.stride}, expected ≥ channels (${channels})`);
  checkRange(name, 'channelStart', checkInt(name, 'channelStart', d.channelStart, 0), 'channelEnd', checkInt(name, 'channelEnd', d.channelEnd, 0), 'channels', channels);
  if (at + GLOBAL_AVG_POOL_DESC_BYTES > view.byteLength) fail(name, `descriptor at ${at} does not fit in the memory (${view.byteLength} bytes)`);
  writeFields(view, at, GLOBAL_AVG_POOL_LAYOUT, d);
}
