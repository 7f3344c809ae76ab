import { checkArray, checkSameOrDisjoint, fail } from './checks.js';
import { checkMask, dropoutScale } from './dropoutForward.js';

/**
 * Gradient of dropoutForward: gradInput = gradOutput · (mask · 1 / (1 − rate)), with the mask the
 * forward wrote and the same rate. gradInput is OVERWRITTEN and may be gradOutput itself.
 */
export function dropoutBackward(
  gradOutput: Float32Array, // (length)
  mask: Uint8Array, // (length), from dropoutForward
  gradInput: Float32Array, // (length), overwritten
  rate: number,
  length: number,
): void {
  const name = 'dropoutBackward';
  const scale = dropoutScale(name, rate);
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 1) {
    fail(name, `length = ${String(length)}, expected a positive integer`);
  }
  checkArray(name, 'gradOutput', gradOutput, length, `(length=${length})`);
  checkArray(name, 'gradInput', gradInput, length, `(length=${length})`);
  checkMask(name, mask, length);
  checkSameOrDisjoint(name, gradInput, 'gradOutput', gradOutput, length);
  if (mask.buffer === gradInput.buffer && mask.byteOffset < gradInput.byteOffset + length * 4 &&
    gradInput.byteOffset < mask.byteOffset + length) {
    fail(name, 'mask overlaps gradInput, expected separate memory');
  }

  for (let i = 0; i < length; i++) gradInput[i] = gradOutput[i] * (mask[i] !== 0 ? scale : 0);
}
