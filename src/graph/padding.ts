/**
 * Padding rules. All padding is resolved to explicit top/bottom/left/right numbers when the graph
 * is built, so kernels and exporters never re-derive a convention. The arithmetic itself (output
 * sizes, TensorFlow's 'SAME') is the kernels' own, so that shapes and kernels always agree.
 */
import { MobileNetError } from '../errors.js';
import { convOutputSize, samePadding } from '../kernels/ref/padding.js';
import type { AxisPadding } from '../kernels/ref/types.js';
import type { PaddingRule } from '../spec/types.js';

export { convOutputSize };
export type Pad1D = AxisPadding;

/** Padding of one spatial dimension under a rule. */
export function pad1d(rule: PaddingRule, size: number, kernel: number, stride: number, dilation: number): Pad1D {
  const effective = (kernel - 1) * dilation + 1;
  let pad: { before: number; after: number };
  if (rule === 'symmetric') {
    const p = Math.floor((effective - 1) / 2);
    pad = { before: p, after: p };
  } else if (rule === 'keras-v1' && stride === 2 && kernel > 1) {
    // Keras MobileNet: ZeroPadding2D(((0, 1), (0, 1))) then a 'valid' conv.
    pad = { before: 0, after: 1 };
  } else {
    pad = samePadding(size, kernel, stride, dilation);
  }
  if (size + pad.before + pad.after < effective) {
    throw new MobileNetError(
      'INVALID_ARGUMENT',
      `a ${kernel}×${kernel} conv with stride ${stride} cannot run on a ${size}-pixel input; use a larger resolution`,
    );
  }
  return { before: pad.before, after: pad.after, out: convOutputSize(size, kernel, stride, dilation, pad.before, pad.after) };
}
