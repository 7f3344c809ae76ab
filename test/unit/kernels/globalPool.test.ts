import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globalAvgPool, globalMaxPool, type GlobalPoolDesc } from '../../../src/kernels/ref/index.js';
import { assertClose, loadFixture, shapeOf, tensor } from './support.js';

const kernels = { globalAvgPool, globalMaxPool } as const;

for (const name of ['globalAvgPool', 'globalMaxPool'] as const) {
  const fixture = loadFixture<GlobalPoolDesc>(name);
  for (const c of fixture.cases) {
    test(`${name} matches torch ${fixture.torch}: ${c.name}`, (t) => {
      const expected = tensor(c, 'output');
      const output = new Float32Array(expected.length).fill(Number.NaN);
      kernels[name](tensor(c, 'input'), output, c.desc);
      const diff = assertClose(output, expected, c.name, {
        shape: shapeOf(c, 'output'),
        tolerance: name === 'globalMaxPool' ? 0 : 1e-5, // a max picks an input value exactly
      });
      t.diagnostic(`max abs diff vs torch: ${diff}`);
    });
  }
}

test('globalMaxPool propagates NaN, handles -Infinity and an all-negative channel', () => {
  // (1, 2, 2, 3): channel 0 has a NaN in its last pixel, channel 1 is all negative, channel 2 has -inf.
  const input = Float32Array.from([
    1, -5, Number.NEGATIVE_INFINITY,
    2, -3, Number.NEGATIVE_INFINITY,
    3, -4, -7,
    Number.NaN, -9, Number.NEGATIVE_INFINITY,
  ]);
  const output = new Float32Array(3);
  globalMaxPool(input, output, { batch: 1, height: 2, width: 2, channels: 3 });
  assert.deepEqual(Array.from(output), [Number.NaN, -3, -7]);
});

test('globalAvgPool of a constant plane is that constant', () => {
  const output = new Float32Array(2);
  globalAvgPool(new Float32Array(2 * 7 * 7).fill(0.1), output, { batch: 1, height: 7, width: 7, channels: 2 });
  assert.deepEqual(Array.from(output), [Math.fround(0.1), Math.fround(0.1)]);
});
