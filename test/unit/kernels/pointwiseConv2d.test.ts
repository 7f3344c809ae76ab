import { test } from 'node:test';
import { pointwiseConv2d, type PointwiseConv2dDesc } from '../../../src/kernels/ref/index.js';
import { assertClose, loadFixture, optionalTensor, shapeOf, tensor } from './support.js';

const fixture = loadFixture<PointwiseConv2dDesc>('pointwiseConv2d');

for (const c of fixture.cases) {
  test(`pointwiseConv2d matches torch ${fixture.torch} 1x1 conv: ${c.name}`, (t) => {
    const expected = tensor(c, 'output');
    const output = new Float32Array(expected.length).fill(Number.NaN);
    pointwiseConv2d(tensor(c, 'input'), tensor(c, 'weight'), optionalTensor(c, 'bias'), output, c.desc);
    const diff = assertClose(output, expected, c.name, { shape: shapeOf(c, 'output') });
    t.diagnostic(`max abs diff vs torch: ${diff}`);
  });
}
