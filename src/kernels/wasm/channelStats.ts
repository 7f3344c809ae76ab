/**
 * channelStats: per-channel sums for training-mode batch norm. Descriptor layout and writer; the
 * kernel itself is assembly/channelStats.ts.
 */
import { fail } from '../ref/checks.js';
import { checkBoolean, checkF64Pointer, checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';

/**
 * sum[c] (+)= Σ_p (x[p, c] − shift[c]),  sumSquares[c] (+)= Σ_p (x[p, c] − shift[c])²
 * for p ∈ [pixelStart, pixelEnd), c ∈ [channelStart, channelEnd); shift = 0 when the pointer is 0.
 * sum and sumSquares are FLOAT64 arrays (C doubles, 8-byte aligned). From the totals over all
 * `count` pixels: mean = shift + sum / count, biased variance = sumSquares / count − (sum / count)².
 * Pass a shift close to the mean (the running mean) when |mean| may be large against the standard
 * deviation; the sums are float32 within blocks of 64 pixels and float64 across blocks. `scratch` is a
 * thread-private workspace (trainingScratchFloats(channels) floats) for the float32 block sums.
 */
export interface ChannelStatsDesc {
  readonly input: number; // (P, stride) floats
  readonly shift: number; // (C) floats, 0 = none
  readonly sum: number; // (C) float64
  readonly sumSquares: number; // (C) float64
  /** Thread-private float32 workspace of trainingScratchFloats(channels) floats, 16-byte aligned; contents undefined before and after. */
  readonly scratch: number;
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly channels: number;
  readonly stride: number; // floats between pixels, ≥ channels
  readonly channelStart: number;
  readonly channelEnd: number;
  /** Add to sum / sumSquares instead of overwriting them. */
  readonly accumulate: boolean;
}

type ChannelStatsField = keyof ChannelStatsDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts CS_*). */
export const CHANNEL_STATS_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  shift: { offset: 4, type: 'i32' },
  sum: { offset: 8, type: 'i32' },
  sumSquares: { offset: 12, type: 'i32' },
  scratch: { offset: 16, type: 'i32' },
  pixelStart: { offset: 20, type: 'i32' },
  pixelEnd: { offset: 24, type: 'i32' },
  channels: { offset: 28, type: 'i32' },
  stride: { offset: 32, type: 'i32' },
  channelStart: { offset: 36, type: 'i32' },
  channelEnd: { offset: 40, type: 'i32' },
  accumulate: { offset: 44, type: 'i32' },
} as const satisfies Layout<ChannelStatsField>;

export const CHANNEL_STATS_DESC_BYTES = layoutBytes(CHANNEL_STATS_LAYOUT); // 48

/**
 * Floats of the scratch that channelStats, bnBackwardReduce and bnBackwardApply need for `channels`
 * channels: four planes of the channel count rounded up to 4. Each thread needs its own (the kernels
 * keep per-channel float32 block sums or coefficients there); it must be 16-byte aligned.
 */
export function trainingScratchFloats(channels: number): number {
  return 4 * (Math.ceil(channels / 4) * 4);
}

/** A scratch pointer: 16-byte aligned (the kernels store whole vectors there). */
export function checkScratch(kernel: string, value: unknown): void {
  checkPointer(kernel, 'scratch', value);
  if ((value as number) % 16 !== 0) fail(kernel, `desc.scratch = ${String(value)}, expected a 16-byte aligned byte offset (trainingScratchFloats(channels) floats)`);
}

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeChannelStatsDesc(view: DataView, at: number, d: ChannelStatsDesc): void {
  const name = 'channelStats';
  checkPointer(name, 'at', at);
  checkPointer(name, 'input', d.input);
  checkPointer(name, 'shift', d.shift);
  checkF64Pointer(name, 'sum', d.sum);
  checkF64Pointer(name, 'sumSquares', d.sumSquares);
  checkScratch(name, d.scratch);
  const channels = checkInt(name, 'channels', d.channels, 1);
  checkRange(name, 'pixelStart', checkInt(name, 'pixelStart', d.pixelStart, 0), 'pixelEnd', checkInt(name, 'pixelEnd', d.pixelEnd, 0), 'pixelEnd', Infinity);
  checkRange(name, 'channelStart', checkInt(name, 'channelStart', d.channelStart, 0), 'channelEnd', checkInt(name, 'channelEnd', d.channelEnd, 0), 'channels', channels);
  if (checkInt(name, 'stride', d.stride, 1) < channels) fail(name, `desc.stride = ${d.stride}, expected ≥ channels (${channels})`);
  checkBoolean(name, 'accumulate', d.accumulate);
  checkFits(name, view, at, CHANNEL_STATS_DESC_BYTES);
  writeFields(view, at, CHANNEL_STATS_LAYOUT, { ...d, accumulate: d.accumulate ? 1 : 0 });
}

/**
 * Batch statistics from channelStats' totals over `count` pixels, as batchNormTraining saves them:
 * mean, invStd = 1/√(biased variance + ε) and, when asked for, the unbiased variance (count > 1). Also
 * the scale = γ·invStd and shift = β − mean·scale of scaleShiftClamp. Computed in float64.
 */
export function batchNormFromSums(
  sum: Float64Array, sumSquares: Float64Array, shift: Float32Array | null, count: number, gamma: Float32Array, beta: Float32Array, epsilon: number,
  out: { mean: Float32Array; invStd: Float32Array; scale: Float32Array; shift: Float32Array; unbiasedVariance?: Float32Array | null },
): void {
  const name = 'batchNormFromSums';
  checkInt(name, 'count', count, 1);
  const channels = gamma.length;
  for (const [key, array] of [['sum', sum], ['sumSquares', sumSquares], ['beta', beta], ['out.mean', out.mean], ['out.invStd', out.invStd], ['out.scale', out.scale], ['out.shift', out.shift]] as const) {
    if (array.length !== channels) fail(name, `${key} has ${array.length} elements, expected ${channels} (the length of gamma)`);
  }
  if (shift !== null && shift.length !== channels) fail(name, `shift has ${shift.length} elements, expected ${channels}`);
  const unbiased = out.unbiasedVariance ?? null;
  for (let c = 0; c < channels; c++) {
    const m = sum[c]! / count;
    const variance = Math.max(0, sumSquares[c]! / count - m * m);
    const mean = (shift === null ? 0 : shift[c]!) + m;
    const invStd = 1 / Math.sqrt(variance + epsilon);
    const scale = gamma[c]! * invStd;
    out.mean[c] = mean;
    out.invStd[c] = invStd;
    out.scale[c] = scale;
    out.shift[c] = beta[c]! - mean * scale;
    if (unbiased !== null) unbiased[c] = count > 1 ? (variance * count) / (count - 1) : 0;
  }
}
