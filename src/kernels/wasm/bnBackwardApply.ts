/**
 * bnBackwardApply: the second pass of the backward of training-mode batch norm + clamp activation
 * (the input gradient). Descriptor layout and writer; the kernel itself is assembly/bnBackwardApply.ts.
 */
import { fail } from '../ref/checks.js';
import { checkScratch } from './channelStats.js';
import { checkClamp, checkF64Pointer, checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';

/**
 * gradInput[p, c] = γ[c]·invStd[c]·(dz[p, c] − sumDz[c]/count − x̂[p, c]·sumDzXhat[c]/count),
 *   x̂ = (input − mean)·invStd, dz = gradOutput masked as in bnBackwardReduce,
 * for p ∈ [pixelStart, pixelEnd), every c < channels (OVERWRITTEN). sumDz / sumDzXhat are the float64
 * totals of bnBackwardReduce over all `count` pixels of the batch. gradInput may be gradOutput,
 * input or activation itself (in place); every tensor's pixel p is at ptr + p·stride·4.
 */
export interface BnBackwardApplyDesc {
  readonly input: number; // (P, stride): x
  readonly activation: number; // (P, stride): y, 0 = linear (no mask)
  readonly gradOutput: number; // (P, stride)
  readonly gradInput: number; // (P, stride)
  readonly mean: number; // (C) floats
  readonly invStd: number; // (C) floats
  readonly gamma: number; // (C) floats
  readonly sumDz: number; // (C) float64 totals
  readonly sumDzXhat: number; // (C) float64 totals
  /** Thread-private float32 workspace of trainingScratchFloats(channels) floats, 16-byte aligned: the per-channel coefficients. */
  readonly scratch: number;
  readonly count: number; // the pixels the totals cover (N·H·W)
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly channels: number;
  readonly stride: number; // floats between pixels, ≥ channels
  readonly clampMin: number;
  readonly clampMax: number;
}

type BnBackwardApplyField = keyof BnBackwardApplyDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts BBA_*). */
export const BN_BACKWARD_APPLY_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  activation: { offset: 4, type: 'i32' },
  gradOutput: { offset: 8, type: 'i32' },
  gradInput: { offset: 12, type: 'i32' },
  mean: { offset: 16, type: 'i32' },
  invStd: { offset: 20, type: 'i32' },
  gamma: { offset: 24, type: 'i32' },
  sumDz: { offset: 28, type: 'i32' },
  sumDzXhat: { offset: 32, type: 'i32' },
  scratch: { offset: 36, type: 'i32' },
  count: { offset: 40, type: 'i32' },
  pixelStart: { offset: 44, type: 'i32' },
  pixelEnd: { offset: 48, type: 'i32' },
  channels: { offset: 52, type: 'i32' },
  stride: { offset: 56, type: 'i32' },
  clampMin: { offset: 60, type: 'f32' },
  clampMax: { offset: 64, type: 'f32' },
} as const satisfies Layout<BnBackwardApplyField>;

export const BN_BACKWARD_APPLY_DESC_BYTES = layoutBytes(BN_BACKWARD_APPLY_LAYOUT); // 68

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeBnBackwardApplyDesc(view: DataView, at: number, d: BnBackwardApplyDesc): void {
  const name = 'bnBackwardApply';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'activation', 'gradOutput', 'gradInput', 'mean', 'invStd', 'gamma'] as const) checkPointer(name, key, d[key]);
  checkF64Pointer(name, 'sumDz', d.sumDz);
  checkF64Pointer(name, 'sumDzXhat', d.sumDzXhat);
  checkScratch(name, d.scratch);
  checkInt(name, 'count', d.count, 1);
  const channels = checkInt(name, 'channels', d.channels, 1);
  checkRange(name, 'pixelStart', checkInt(name, 'pixelStart', d.pixelStart, 0), 'pixelEnd', checkInt(name, 'pixelEnd', d.pixelEnd, 0), 'pixelEnd', Infinity);
  if (checkInt(name, 'stride', d.stride, 1) < channels) fail(name, `desc.stride = ${d.stride}, expected ≥ channels (${channels})`);
  checkClamp(name, d.clampMin, d.clampMax);
  checkFits(name, view, at, BN_BACKWARD_APPLY_DESC_BYTES);
  writeFields(view, at, BN_BACKWARD_APPLY_LAYOUT, d);
}
