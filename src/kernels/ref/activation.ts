import { checkArray, checkSameOrDisjoint, fail } from './checks.js';
import type { ActivationFn } from './types.js';

export const ACTIVATION_FNS: readonly ActivationFn[] = ['linear', 'relu', 'relu6'];

/**
 * Element-wise activation. 'linear' copies (MobileNetV2's projection layers have no activation but
 * still go through here so that a plan step always has an output). May run in place.
 * NaN stays NaN, as in PyTorch.
 */
export function activation(
  input: Float32Array, // (length), any shape flattened
  output: Float32Array, // (length)
  fn: ActivationFn,
  length: number,
): void {
  const name = 'activation';
  if (!ACTIVATION_FNS.includes(fn)) {
    fail(name, `fn = ${JSON.stringify(fn) ?? String(fn)}, expected one of ${ACTIVATION_FNS.map((f) => `'${f}'`).join(', ')}`);
  }
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 1) {
    fail(name, `length = ${String(length)}, expected a positive integer`);
  }
  checkArray(name, 'input', input, length, `(length=${length})`);
  checkArray(name, 'output', output, length, `(length=${length})`);
  checkSameOrDisjoint(name, output, 'input', input, length);

  switch (fn) {
    case 'linear':
      for (let i = 0; i < length; i++) output[i] = input[i];
      break;
    case 'relu':
      // `x > 0 ? x : 0` would turn NaN into 0; the explicit NaN pass-through keeps errors visible.
      for (let i = 0; i < length; i++) {
        const x = input[i];
        output[i] = x > 0 || Number.isNaN(x) ? x : 0;
      }
      break;
    case 'relu6':
      for (let i = 0; i < length; i++) {
        const x = input[i];
        output[i] = Number.isNaN(x) ? x : x < 0 ? 0 : x > 6 ? 6 : x;
      }
      break;
  }
}
