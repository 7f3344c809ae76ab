import { test } from 'node:test';
import { dense, type DenseDesc } from '../../../src/kernels/ref/index.js';
import { assertClose, loadFixture, optionalTensor, shapeOf, tensor } from './support.js';

const fixture = loadFixture<DenseDesc>('dense');

for (const c of fixture.cases) {
  test(`dense matches torch ${fixture.torch} F.linear: ${c.name}`, (t) => {
    const expected = tensor(c, 'output');
    const output = new Float32Array(expected.length).fill(Number.NaN);
    dense(tensor(c, 'input'), tensor(c, 'weight'), optionalTensor(c, 'bias'), output, c.desc);
    const diff = assertClose(output, expected, c.name, { shape: shapeOf(c, 'output') });
    t.diagnostic(`max abs diff vs torch: ${diff}`);
  });
}
