import assert from 'node:assert/strict';
import { test } from 'node:test';
import { softmax, type SoftmaxDesc } from '../../../src/kernels/ref/index.js';
import { assertClose, loadFixture, shapeOf, tensor } from './support.js';

const fixture = loadFixture<SoftmaxDesc>('softmax');

for (const c of fixture.cases) {
  test(`softmax matches torch ${fixture.torch}: ${c.name}`, (t) => {
    const expected = tensor(c, 'output');
    const output = new Float32Array(expected.length).fill(Number.NaN);
    softmax(tensor(c, 'input'), output, c.desc);
    const diff = assertClose(output, expected, c.name, { shape: shapeOf(c, 'output') });
    t.diagnostic(`max abs diff vs torch: ${diff}`);
    for (let r = 0; r < c.desc.rows; r++) {
      let sum = 0;
      for (let j = 0; j < c.desc.cols; j++) sum += output[r * c.desc.cols + j]!;
      assert.ok(Math.abs(sum - 1) < 1e-5, `row ${r} sums to ${sum}`);
    }
  });

  test(`softmax in place gives the same result: ${c.name}`, () => {
    const separate = new Float32Array(tensor(c, 'output').length);
    softmax(tensor(c, 'input'), separate, c.desc);
    const data = tensor(c, 'input');
    softmax(data, data, c.desc);
    assert.deepEqual(data, separate);
  });
}

test('softmax stays finite for logits whose exp overflows float64', () => {
  const output = new Float32Array(3);
  softmax(Float32Array.from([1e30, 1e30, -1e30]), output, { rows: 1, cols: 3 });
  assert.deepEqual(Array.from(output), [0.5, 0.5, 0]);
});
