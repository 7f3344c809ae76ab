/**
 * The addInPlace WebAssembly kernel (plain and relaxed SIMD) against the reference add: random
 * lengths and ranges (any alignment of start and end), ranges that together cover the arrays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADD_IN_PLACE_DESC_BYTES, writeAddInPlaceDesc } from '../../../src/kernels/wasm/addInPlace.js';
import { addResidual, freshArena, guarded, kernels, MemoryCheck, Random, randomChunks, VARIANTS } from './support.js';

for (const variant of VARIANTS) {
  test(`addInPlace (${variant}) adds exactly its range`, () => {
    const rng = new Random(variant === 'simd' ? 161 : 162);
    for (let trial = 0; trial < 150; trial++) {
      const k = kernels(variant);
      const arena = freshArena(k);
      const length = rng.int(1, 6) === 1 ? rng.int(1000, 5000) : rng.int(1, 100);
      const a = rng.array(length, 3);
      const b = rng.array(length, 3);
      const expected = addResidual(a, b);
      const aPtr = guarded(arena, length, a);
      const bPtr = guarded(arena, length, b);
      const chunks = randomChunks(rng, length, 5).map(([start, end]) => {
        const at = arena.allocBytes(ADD_IN_PLACE_DESC_BYTES);
        writeAddInPlaceDesc(arena.view(), at, { target: aPtr, source: bPtr, start, end });
        return { at, start, end };
      });
      arena.alloc(16);
      const check = new MemoryCheck(arena);
      for (const { at, start, end } of chunks) {
        k.exports.addInPlace(at);
        for (let i = start; i < end; i++) check.expect(aPtr + i * 4, expected[i]!);
        if (end > start) check.verify(`${variant} length ${length}, after [${start}, ${end})`, 0);
      }
    }
  });
}

test('writeAddInPlaceDesc refuses bad descriptors', () => {
  const view = new DataView(new ArrayBuffer(64));
  writeAddInPlaceDesc(view, 0, { target: 16, source: 32, start: 0, end: 8 });
  assert.equal(view.getInt32(12, true), 8);
  assert.throws(() => writeAddInPlaceDesc(view, 0, { target: 16, source: 32, start: 9, end: 8 }), /start ≤ end/);
  assert.throws(() => writeAddInPlaceDesc(view, 0, { target: 17, source: 32, start: 0, end: 8 }), /target = 17/);
});
