import { test } from 'node:test';
import { conv2d, type Conv2dDesc } from '../../../src/kernels/ref/index.js';
import { assertClose, loadFixture, optionalTensor, shapeOf, tensor } from './support.js';

const fixture = loadFixture<Conv2dDesc>('conv2d');

for (const c of fixture.cases) {
  test(`conv2d matches torch ${fixture.torch}: ${c.name}`, (t) => {
    const expected = tensor(c, 'output');
    const output = new Float32Array(expected.length).fill(Number.NaN); // every element must be written
    conv2d(tensor(c, 'input'), tensor(c, 'weight'), optionalTensor(c, 'bias'), output, c.desc);
    const diff = assertClose(output, expected, c.name, { shape: shapeOf(c, 'output') });
    t.diagnostic(`max abs diff vs torch: ${diff}`);
  });
}
