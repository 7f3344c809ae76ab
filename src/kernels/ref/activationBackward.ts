import { ACTIVATION_FNS } from './activation.js';
import { checkArray, checkSameOrDisjoint, fail } from './checks.js';
import type { ActivationFn } from './types.js';

/**
 * Gradient of an element-wise activation: gradInput = gradOutput · f′(x), OVERWRITTEN.
 *
 * `x` may be the activation's input or its output: relu and relu6 are clamps, so x ≤ 0 ⇔ f(x) ≤ 0
 * and x ≥ 6 ⇔ f(x) ≥ 6, and both give the same mask. Passing the output is what lets the forward
 * run in place.
 *
 * At the kinks the derivative is taken as PyTorch's backward does (checked with torch 1.13):
 * - relu (threshold_backward(grad, result, 0)): gradient 0 where x ≤ 0, so 0 at x = 0 exactly;
 * - relu6 (hardtanh_backward with min 0, max 6): gradient 0 where x ≤ 0 or x ≥ 6, so 0 at both
 *   x = 0 and x = 6 — the saturated end is closed, unlike the "x > 6" test of the forward;
 * - NaN fails every comparison, so its gradient passes through unchanged (PyTorch does the same).
 * 'linear' copies gradOutput.
 *
 * gradInput may be gradOutput or x itself (in place): element i is read just before it is written.
 */
export function activationBackward(
  x: Float32Array, // (length), the activation's input or output
  gradOutput: Float32Array, // (length)
  gradInput: Float32Array, // (length), overwritten
  fn: ActivationFn,
  length: number,
): void {
  const name = 'activationBackward';
  if (!ACTIVATION_FNS.includes(fn)) {
    fail(name, `fn = ${JSON.stringify(fn) ?? String(fn)}, expected one of ${ACTIVATION_FNS.map((f) => `'${f}'`).join(', ')}`);
  }
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 1) {
    fail(name, `length = ${String(length)}, expected a positive integer`);
  }
  checkArray(name, 'x', x, length, `(length=${length})`);
  checkArray(name, 'gradOutput', gradOutput, length, `(length=${length})`);
  checkArray(name, 'gradInput', gradInput, length, `(length=${length})`);
  checkSameOrDisjoint(name, gradInput, 'gradOutput', gradOutput, length);
  checkSameOrDisjoint(name, gradInput, 'x', x, length);

  switch (fn) {
    case 'linear':
      for (let i = 0; i < length; i++) gradInput[i] = gradOutput[i];
      break;
    case 'relu':
      for (let i = 0; i < length; i++) gradInput[i] = x[i] <= 0 ? 0 : gradOutput[i];
      break;
    case 'relu6':
      for (let i = 0; i < length; i++) {
        const v = x[i];
        gradInput[i] = v <= 0 || v >= 6 ? 0 : gradOutput[i];
      }
      break;
  }
}
