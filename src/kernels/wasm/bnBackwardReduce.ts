/**
 * bnBackwardReduce: the first pass of the backward of training-mode batch norm + clamp activation
 * (the per-channel sums). Descriptor layout and writer; the kernel itself is
 * assembly/bnBackwardReduce.ts. The second pass is bnBackwardApply.
 */
import { fail } from '../ref/checks.js';
import { checkScratch } from './channelStats.js';
import { checkBoolean, checkClamp, checkF64Pointer, checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';

/**
 * With dz = gradOutput masked by the activation (0 where activation[p, c] ≤ clampMin or ≥ clampMax,
 * PyTorch's convention at the kinks; no mask when activation = 0, i.e. linear):
 *   sumDz[c]     (+)= Σ_p dz[p, c]                                  (= dβ)
 *   sumDzXhat[c] (+)= Σ_p dz[p, c]·(input[p, c] − mean[c])·invStd[c]  (= dγ)
 * for p ∈ [pixelStart, pixelEnd), c ∈ [channelStart, channelEnd). sumDz and sumDzXhat are FLOAT64
 * arrays (C doubles, 8-byte aligned): threads that split pixels write their own and add them up;
 * threads that split channels share them. Every tensor's pixel p is at ptr + p·stride·4.
 */
export interface BnBackwardReduceDesc {
  readonly input: number; // (P, stride): the batch norm's input x
  /** (P, stride): the activation's output y (ReLU / ReLU6), 0 for a linear batch norm (no mask). */
  readonly activation: number;
  readonly gradOutput: number; // (P, stride): the gradient of y (or of the BN output when linear)
  readonly mean: number; // (C) floats: the batch mean
  readonly invStd: number; // (C) floats: 1/√(biased batch variance + ε)
  readonly sumDz: number; // (C) float64
  readonly sumDzXhat: number; // (C) float64
  /** Thread-private float32 workspace of trainingScratchFloats(channels) floats, 16-byte aligned; contents undefined before and after. */
  readonly scratch: number;
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly channels: number;
  readonly stride: number; // floats between pixels, ≥ channels
  readonly channelStart: number;
  readonly channelEnd: number;
  /** Add to sumDz / sumDzXhat instead of overwriting them. */
  readonly accumulate: boolean;
  readonly clampMin: number; // the activation's bounds: 0 / +Infinity for ReLU, 0 / 6 for ReLU6
  readonly clampMax: number;
}

type BnBackwardReduceField = keyof BnBackwardReduceDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts BBR_*). */
export const BN_BACKWARD_REDUCE_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  activation: { offset: 4, type: 'i32' },
  gradOutput: { offset: 8, type: 'i32' },
  mean: { offset: 12, type: 'i32' },
  invStd: { offset: 16, type: 'i32' },
  sumDz: { offset: 20, type: 'i32' },
  sumDzXhat: { offset: 24, type: 'i32' },
  scratch: { offset: 28, type: 'i32' },
  pixelStart: { offset: 32, type: 'i32' },
  pixelEnd: { offset: 36, type: 'i32' },
  channels: { offset: 40, type: 'i32' },
  stride: { offset: 44, type: 'i32' },
  channelStart: { offset: 48, type: 'i32' },
  channelEnd: { offset: 52, type: 'i32' },
  accumulate: { offset: 56, type: 'i32' },
  clampMin: { offset: 60, type: 'f32' },
  clampMax: { offset: 64, type: 'f32' },
} as const satisfies Layout<BnBackwardReduceField>;

export const BN_BACKWARD_REDUCE_DESC_BYTES = layoutBytes(BN_BACKWARD_REDUCE_LAYOUT); // 68

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeBnBackwardReduceDesc(view: DataView, at: number, d: BnBackwardReduceDesc): void {
  const name = 'bnBackwardReduce';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'activation', 'gradOutput', 'mean', 'invStd'] as const) checkPointer(name, key, d[key]);
  checkF64Pointer(name, 'sumDz', d.sumDz);
  checkF64Pointer(name, 'sumDzXhat', d.sumDzXhat);
  checkScratch(name, d.scratch);
  const channels = checkInt(name, 'channels', d.channels, 1);
  checkRange(name, 'pixelStart', checkInt(name, 'pixelStart', d.pixelStart, 0), 'pixelEnd', checkInt(name, 'pixelEnd', d.pixelEnd, 0), 'pixelEnd', Infinity);
  checkRange(name, 'channelStart', checkInt(name, 'channelStart', d.channelStart, 0), 'channelEnd', checkInt(name, 'channelEnd', d.channelEnd, 0), 'channels', channels);
  if (checkInt(name, 'stride', d.stride, 1) < channels) fail(name, `desc.stride = ${d.stride}, expected ≥ channels (${channels})`);
  checkBoolean(name, 'accumulate', d.accumulate);
  checkClamp(name, d.clampMin, d.clampMax);
  checkFits(name, view, at, BN_BACKWARD_REDUCE_DESC_BYTES);
  writeFields(view, at, BN_BACKWARD_REDUCE_LAYOUT, { ...d, accumulate: d.accumulate ? 1 : 0 });
}
