/**
 * One case of the addInPlace kernel, run and checked against the reference add: addInPlace.test.ts
 * runs these at the start of the memory, kernels-high-address.test.ts at and across 2³¹.
 */
import { ADD_IN_PLACE_DESC_BYTES, writeAddInPlaceDesc } from '../../../../src/kernels/wasm/addInPlace.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { addResidual, freshPlacement, kernels, Random } from '../support.js';

export interface AddInPlaceCase {
  readonly length: number;
  /** Ranges of [0, length), one call each, in order. */
  readonly chunks: ReadonlyArray<readonly [number, number]>;
}

export function runAddInPlace(variant: KernelVariant, c: AddInPlaceCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { length } = c;
  const a = rng.array(length, 3);
  const b = rng.array(length, 3);
  const expected = addResidual(a, b);
  const aPtr = m.buf('target', length, a);
  const bPtr = m.buf('source', length, b);
  const calls = c.chunks.map(([start, end]) => {
    const at = m.desc(ADD_IN_PLACE_DESC_BYTES);
    writeAddInPlaceDesc(m.view(), at, { target: aPtr, source: bPtr, start, end });
    return { at, start, end };
  });
  const check = m.check();
  for (const { at, start, end } of calls) {
    k.exports.addInPlace(at);
    for (let i = start; i < end; i++) check.expect(aPtr + i * 4, expected[i]!);
    if (end > start) check.verify(`${variant} length ${length}${m.where}, after [${start}, ${end})`, 0);
  }
}
