/**
 * Padding rules and output sizes. All padding is resolved to explicit top/bottom/left/right
 * numbers when the graph is built, so kernels and exporters never re-derive a convention.
 */
import { MobileNetError } from '../errors.js';
import type { PaddingRule } from '../spec/types.js';

export interface Pad1D {
  before: number;
  after: number;
  out: number;
}

/** Output size of a convolution with explicit padding. */
export function convOutputSize(size: number, kernel: number, stride: number, dilation: number, before: number, after: number): number {
  const effective = (kernel - 1) * dilation + 1;
  return Math.floor((size + before + after - effective) / stride) + 1;
}

/** Padding of one spatial dimension under a rule. */
export function pad1d(rule: PaddingRule, size: number, kernel: number, stride: number, dilation: number): Pad1D {
  const effective = (kernel - 1) * dilation + 1;
  let before: number;
  let after: number;
  if (rule === 'symmetric') {
    before = after = Math.floor((effective - 1) / 2);
  } else if (rule === 'keras-v1' && stride === 2 && kernel > 1) {
    // Keras MobileNet: ZeroPadding2D(((0, 1), (0, 1))) then a 'valid' conv.
    before = 0;
    after = 1;
  } else {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + effective - size, 0);
    before = Math.floor(total / 2);
    after = total - before;
  }
  const out = convOutputSize(size, kernel, stride, dilation, before, after);
  if (out < 1) {
    throw new MobileNetError(
      'INVALID_ARGUMENT',
      `a ${kernel}×${kernel} conv with stride ${stride} cannot run on a ${size}-pixel input; use a larger resolution`,
    );
  }
  return { before, after, out };
}
