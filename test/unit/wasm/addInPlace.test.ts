/**
 * The addInPlace WebAssembly kernel (plain and relaxed SIMD) against the reference add: random
 * lengths and ranges (any alignment of start and end), ranges that together cover the arrays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAddInPlaceDesc } from '../../../src/kernels/wasm/addInPlace.js';
import { runAddInPlace } from './cases/addInPlace.js';
import { Random, randomChunks, VARIANTS } from './support.js';

for (const variant of VARIANTS) {
  test(`addInPlace (${variant}) adds exactly its range`, () => {
    const rng = new Random(variant === 'simd' ? 161 : 162);
    for (let trial = 0; trial < 150; trial++) {
      const length = rng.int(1, 6) === 1 ? rng.int(1000, 5000) : rng.int(1, 100);
      runAddInPlace(variant, { length, chunks: randomChunks(rng, length, 5) }, 16100 + trial);
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
