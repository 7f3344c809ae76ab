import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activation, type ActivationFn } from '../../../src/kernels/ref/index.js';
import { assertClose, loadFixture, tensor } from './support.js';

const fixture = loadFixture<{ fn: ActivationFn; length: number }>('activation');

for (const c of fixture.cases) {
  test(`activation matches torch ${fixture.torch}: ${c.name}`, (t) => {
    const expected = tensor(c, 'output');
    const output = new Float32Array(expected.length).fill(Number.NaN);
    activation(tensor(c, 'input'), output, c.desc.fn, c.desc.length);
    const diff = assertClose(output, expected, c.name, { tolerance: 0 }); // clamps are exact
    t.diagnostic(`max abs diff vs torch: ${diff}`);
  });

  test(`activation in place gives the same result: ${c.name}`, () => {
    const data = tensor(c, 'input');
    activation(data, data, c.desc.fn, c.desc.length);
    assert.deepEqual(data, tensor(c, 'output'));
  });
}

test('activation keeps NaN and infinities as PyTorch does', () => {
  const input = Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5]);
  const expected: Record<ActivationFn, number[]> = {
    linear: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5],
    relu: [Number.NaN, Number.POSITIVE_INFINITY, 0, 0],
    relu6: [Number.NaN, 6, 0, 0],
  };
  for (const fn of ['linear', 'relu', 'relu6'] as const) {
    const output = new Float32Array(4);
    activation(input, output, fn, 4);
    assert.deepEqual(Array.from(output), expected[fn], fn);
  }
});
