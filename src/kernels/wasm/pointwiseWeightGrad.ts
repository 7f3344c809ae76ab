/**
 * pointwiseWeightGrad: the weight (and bias) gradient of a 1×1 convolution or dense layer. Descriptor
 * layout and writer; the kernel itself is assembly/pointwiseWeightGrad.ts. The input gradient of the
 * same layer, dX = dY·Wᵀ, is the forward `pointwise` kernel run on dY with Wᵀ packed by packPointwise
 * (see packPointwiseTransposed).
 */
import { fail } from '../ref/checks.js';
import { checkBoolean, checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';
import { packPointwise } from './pointwise.js';

/**
 * gradWeight[ci, co] (+)= Σ_{p ∈ [pixelStart, pixelEnd)} input[p, ci]·gradOutput[p, co]
 *   for ci ∈ [inChannelStart, inChannelEnd), every co < outChannels;
 * gradBias[co] (+)= Σ_p gradOutput[p, co] for every co when gradBias ≠ 0.
 * "(+)=": added to the current values with `accumulate`, overwritten without. Pixel p of input /
 * gradOutput is at ptr + p·stride·4 (absolute). gradWeight is dense (Cin, Cout): row ci at
 * gradWeight + ci·outChannels·4; only rows [inChannelStart, inChannelEnd) are written.
 */
export interface PointwiseWeightGradDesc {
  readonly input: number; // (P, inStride) floats: the layer's forward input
  readonly gradOutput: number; // (P, gradStride) floats
  readonly gradWeight: number; // (Cin, Cout) floats
  /** (Cout) floats; 0 = no bias gradient. Give it to one call of a split over input channels only. */
  readonly gradBias: number;
  readonly pixelStart: number;
  readonly pixelEnd: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** The rows of gradWeight this call computes (threads split them: no reduction needed). */
  readonly inChannelStart: number;
  readonly inChannelEnd: number;
  readonly inStride: number; // floats between input pixels, ≥ inChannels
  readonly gradStride: number; // floats between gradOutput pixels, ≥ outChannels
  /** Add to gradWeight / gradBias instead of overwriting them. */
  readonly accumulate: boolean;
}

type PointwiseWeightGradField = keyof PointwiseWeightGradDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts PWG_*). */
export const POINTWISE_WEIGHT_GRAD_LAYOUT = {
  input: { offset: 0, type: 'i32' },
  gradOutput: { offset: 4, type: 'i32' },
  gradWeight: { offset: 8, type: 'i32' },
  gradBias: { offset: 12, type: 'i32' },
  pixelStart: { offset: 16, type: 'i32' },
  pixelEnd: { offset: 20, type: 'i32' },
  inChannels: { offset: 24, type: 'i32' },
  outChannels: { offset: 28, type: 'i32' },
  inChannelStart: { offset: 32, type: 'i32' },
  inChannelEnd: { offset: 36, type: 'i32' },
  inStride: { offset: 40, type: 'i32' },
  gradStride: { offset: 44, type: 'i32' },
  accumulate: { offset: 48, type: 'i32' },
} as const satisfies Layout<PointwiseWeightGradField>;

export const POINTWISE_WEIGHT_GRAD_DESC_BYTES = layoutBytes(POINTWISE_WEIGHT_GRAD_LAYOUT); // 52

/**
 * Packs Wᵀ of a (Cin, Cout) weight for the forward `pointwise` kernel, so that it computes the input
 * gradient dX (P, Cin) = dY (P, Cout)·Wᵀ: run pointwise with input = dY, inChannels = Cout,
 * outChannels = Cin, a zero bias (this packs zeros), clamp ±∞ (or accumulate to add into dX).
 */
export function packPointwiseTransposed(weight: Float32Array, inChannels: number, outChannels: number): Float32Array {
  const name = 'packPointwiseTransposed';
  checkInt(name, 'inChannels', inChannels, 1);
  checkInt(name, 'outChannels', outChannels, 1);
  if (weight.length !== inChannels * outChannels) {
    fail(name, `weight has ${weight.length} elements, expected ${inChannels * outChannels} for shape (Cin=${inChannels}, Cout=${outChannels})`);
  }
  const transposed = new Float32Array(inChannels * outChannels); // (Cout, Cin)
  for (let ci = 0; ci < inChannels; ci++) {
    for (let co = 0; co < outChannels; co++) transposed[co * inChannels + ci] = weight[ci * outChannels + co]!;
  }
  return packPointwise(transposed, null, outChannels, inChannels);
}

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writePointwiseWeightGradDesc(view: DataView, at: number, d: PointwiseWeightGradDesc): void {
  const name = 'pointwiseWeightGrad';
  checkPointer(name, 'at', at);
  for (const key of ['input', 'gradOutput', 'gradWeight', 'gradBias'] as const) checkPointer(name, key, d[key]);
  const inChannels = checkInt(name, 'inChannels', d.inChannels, 1);
  const outChannels = checkInt(name, 'outChannels', d.outChannels, 1);
  checkRange(name, 'pixelStart', checkInt(name, 'pixelStart', d.pixelStart, 0), 'pixelEnd', checkInt(name, 'pixelEnd', d.pixelEnd, 0), 'pixelEnd', Infinity);
  checkRange(name, 'inChannelStart', checkInt(name, 'inChannelStart', d.inChannelStart, 0), 'inChannelEnd',
    checkInt(name, 'inChannelEnd', d.inChannelEnd, 0), 'inChannels', inChannels);
  if (checkInt(name, 'inStride', d.inStride, 1) < inChannels) fail(name, `desc.inStride = ${d.inStride}, expected ≥ inChannels (${inChannels})`);
  if (checkInt(name, 'gradStride', d.gradStride, 1) < outChannels) fail(name, `desc.gradStride = ${d.gradStride}, expected ≥ outChannels (${outChannels})`);
  checkBoolean(name, 'accumulate', d.accumulate);
  checkFits(name, view, at, POINTWISE_WEIGHT_GRAD_DESC_BYTES);
  writeFields(view, at, POINTWISE_WEIGHT_GRAD_LAYOUT, { ...d, accumulate: d.accumulate ? 1 : 0 });
}
