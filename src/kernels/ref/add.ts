import { checkArray, checkSameOrDisjoint, fail } from './checks.js';

/**
 * Element-wise sum of two equally shaped tensors (the residual connection of an inverted residual
 * block). Output may be a or b itself (in place).
 */
export function add(
  a: Float32Array, // (length)
  b: Float32Array, // (length)
  output: Float32Array, // (length)
  length: number,
): void {
  const name = 'add';
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 1) {
    fail(name, `length = ${String(length)}, expected a positive integer`);
  }
  checkArray(name, 'a', a, length, `(length=${length})`);
  checkArray(name, 'b', b, length, `(length=${length})`);
  checkArray(name, 'output', output, length, `(length=${length})`);
  checkSameOrDisjoint(name, output, 'a', a, length);
  checkSameOrDisjoint(name, output, 'b', b, length);

  for (let i = 0; i < length; i++) output[i] = a[i] + b[i];
}
