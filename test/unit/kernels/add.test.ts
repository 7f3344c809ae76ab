import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add } from '../../../src/kernels/ref/index.js';
import { assertClose, loadFixture, tensor } from './support.js';

const fixture = loadFixture<{ length: number }>('add');

for (const c of fixture.cases) {
  test(`add matches torch ${fixture.torch}: ${c.name}`, (t) => {
    const expected = tensor(c, 'output');
    const output = new Float32Array(expected.length).fill(Number.NaN);
    add(tensor(c, 'a'), tensor(c, 'b'), output, c.desc.length);
    // One float32 rounding of an exact sum: must agree bit for bit.
    const diff = assertClose(output, expected, c.name, { tolerance: 0 });
    t.diagnostic(`max abs diff vs torch: ${diff}`);
  });

  test(`add in place into a and into b: ${c.name}`, () => {
    const a = tensor(c, 'a');
    add(a, tensor(c, 'b'), a, c.desc.length);
    assert.deepEqual(a, tensor(c, 'output'));
    const b = tensor(c, 'b');
    add(tensor(c, 'a'), b, b, c.desc.length);
    assert.deepEqual(b, tensor(c, 'output'));
    const twice = tensor(c, 'a');
    add(twice, twice, twice, c.desc.length); // all three the same array
    assert.deepEqual(twice, tensor(c, 'a').map((x) => 2 * x));
  });
}
