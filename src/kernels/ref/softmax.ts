import { checkArray, checkPositiveInts, checkSameOrDisjoint } from './checks.js';
import type { SoftmaxDesc } from './types.js';

/**
 * Softmax over each row. The row maximum is subtracted first so exp never overflows, whatever the
 * logits' scale. May run in place: every input element of a row is read before any is overwritten.
 */
export function softmax(
  input: Float32Array, // (rows, cols)
  output: Float32Array, // (rows, cols)
  desc: SoftmaxDesc,
): void {
  const name = 'softmax';
  checkPositiveInts(name, desc, ['rows', 'cols']);
  const { rows, cols } = desc;
  const length = rows * cols;
  checkArray(name, 'input', input, length, `(rows=${rows}, cols=${cols})`);
  checkArray(name, 'output', output, length, `(rows=${rows}, cols=${cols})`);
  checkSameOrDisjoint(name, output, 'input', input, length);

  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, input[base + j]); // Math.max propagates NaN
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(input[base + j] - max);
    // Second exp rather than a stash of the first: the kernel owns no scratch memory. In place is
    // safe because element j is read just before it is written.
    for (let j = 0; j < cols; j++) output[base + j] = Math.exp(input[base + j] - max) / sum;
  }
}
