import { checkArray, checkSameOrDisjoint, fail } from './checks.js';

/** Rate check shared with dropoutBackward; returns the inverted-dropout scale 1 / (1 − rate). */
export function dropoutScale(name: string, rate: number): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) fail(name, `rate = ${String(rate)}, expected a number in [0, 1]`);
  return rate === 1 ? 0 : 1 / (1 - rate); // rate 1 drops everything (PyTorch returns input · 0 then)
}

/** A mask must be a Uint8Array of at least `length` bytes. */
export function checkMask(name: string, mask: unknown, length: number): void {
  if (!(mask instanceof Uint8Array)) {
    fail(name, `mask is ${mask === null || typeof mask !== 'object' ? String(mask) : mask.constructor.name}, expected a Uint8Array (length=${length})`);
  }
  if (mask.length < length) fail(name, `mask has ${mask.length} elements, expected at least ${length} for shape (length=${length})`);
}

/**
 * Inverted dropout in training mode: each element is kept with probability 1 − rate and scaled by
 * 1 / (1 − rate), so the expected output equals the input and inference needs no rescaling.
 * Element i is dropped when random() < rate; mask[i] records 1 (kept) or 0 (dropped) for
 * dropoutBackward. The output is input · (mask · scale), as PyTorch computes it, so a dropped NaN
 * stays NaN and a dropped negative value gives −0.
 *
 * `random` returns uniform numbers in [0, 1) and is called exactly `length` times in element order
 * when 0 < rate < 1, and never when rate is 0 (everything kept) or 1 (everything dropped), so a seeded
 * generator reproduces the same mask. May run in place (output === input).
 */
export function dropoutForward(
  input: Float32Array, // (length)
  output: Float32Array, // (length)
  mask: Uint8Array, // (length), written: 1 kept, 0 dropped
  rate: number,
  random: () => number,
  length: number,
): void {
  const name = 'dropoutForward';
  const scale = dropoutScale(name, rate);
  if (typeof random !== 'function') fail(name, `random is ${String(random)}, expected a function returning numbers in [0, 1)`);
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 1) {
    fail(name, `length = ${String(length)}, expected a positive integer`);
  }
  checkArray(name, 'input', input, length, `(length=${length})`);
  checkArray(name, 'output', output, length, `(length=${length})`);
  checkMask(name, mask, length);
  checkSameOrDisjoint(name, output, 'input', input, length);
  // The mask is bytes, so it can only overlap the float arrays through a shared buffer.
  for (const [label, array] of [['input', input], ['output', output]] as const) {
    if (mask.buffer === array.buffer && mask.byteOffset < array.byteOffset + length * 4 && array.byteOffset < mask.byteOffset + length) {
      fail(name, `mask overlaps ${label}, expected separate memory`);
    }
  }

  for (let i = 0; i < length; i++) {
    const keep = rate === 0 ? true : rate === 1 ? false : random() >= rate;
    mask[i] = keep ? 1 : 0;
    output[i] = input[i] * (keep ? scale : 0);
  }
}
