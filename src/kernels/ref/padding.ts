/**
 * Output-size and padding arithmetic for one spatial axis. Shape inference and the kernels' callers
 * use these so that every place agrees on TensorFlow's 'SAME' rule.
 */
import { fail } from './checks.js';
import type { AxisPadding } from './types.js';

function checkInt(name: string, label: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(name, `${label} = ${String(value)}, expected an integer ≥ ${min}`);
  }
}

/** Span of input covered by one window: a dilated kernel of size k reaches (k − 1)·dilation + 1 cells. */
function effectiveKernel(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/** Number of window positions along an axis padded by padBefore/padAfter zeros (floor mode, like 'VALID'). */
export function convOutputSize(
  inSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  padBefore: number,
  padAfter: number,
): number {
  const name = 'convOutputSize';
  checkInt(name, 'inSize', inSize, 1);
  checkInt(name, 'kernel', kernel, 1);
  checkInt(name, 'stride', stride, 1);
  checkInt(name, 'dilation', dilation, 1);
  checkInt(name, 'padBefore', padBefore, 0);
  checkInt(name, 'padAfter', padAfter, 0);
  const span = inSize + padBefore + padAfter;
  const extent = effectiveKernel(kernel, dilation);
  if (span < extent) {
    fail(name, `padded input size ${span} (${padBefore} + ${inSize} + ${padAfter}) is smaller than the kernel extent ${extent}, expected at least one window`);
  }
  return Math.floor((span - extent) / stride) + 1;
}

/**
 * TensorFlow 'SAME': out = ceil(in / stride), and just enough zeros to reach it, the odd one going
 * after (so stride 2 on an even size pads 0 before, 1 after).
 */
export function samePadding(inSize: number, kernel: number, stride: number, dilation: number): AxisPadding {
  const name = 'samePadding';
  checkInt(name, 'inSize', inSize, 1);
  checkInt(name, 'kernel', kernel, 1);
  checkInt(name, 'stride', stride, 1);
  checkInt(name, 'dilation', dilation, 1);
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + effectiveKernel(kernel, dilation) - inSize, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before, out };
}
