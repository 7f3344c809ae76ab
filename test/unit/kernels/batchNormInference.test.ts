import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchNormInference, type BatchNormDesc, type BatchNormParams } from '../../../src/kernels/ref/index.js';
import { assertClose, loadFixture, shapeOf, tensor, type FixtureCase } from './support.js';

const fixture = loadFixture<BatchNormDesc>('batchNormInference');

function paramsOf(c: FixtureCase<BatchNormDesc>): BatchNormParams {
  assert.equal(typeof c.epsilon, 'number', `fixture "${c.name}" has no epsilon`);
  return {
    mean: tensor(c, 'mean'),
    variance: tensor(c, 'variance'),
    gamma: tensor(c, 'gamma'),
    beta: tensor(c, 'beta'),
    epsilon: c.epsilon!,
  };
}

for (const c of fixture.cases) {
  test(`batchNormInference matches torch ${fixture.torch} F.batch_norm: ${c.name}`, (t) => {
    const expected = tensor(c, 'output');
    const output = new Float32Array(expected.length).fill(Number.NaN);
    batchNormInference(tensor(c, 'input'), output, paramsOf(c), c.desc);
    const diff = assertClose(output, expected, c.name, { shape: shapeOf(c, 'output') });
    t.diagnostic(`max abs diff vs torch: ${diff}`);
  });

  test(`batchNormInference in place gives the same result: ${c.name}`, () => {
    const separate = new Float32Array(tensor(c, 'output').length);
    batchNormInference(tensor(c, 'input'), separate, paramsOf(c), c.desc);
    const data = tensor(c, 'input');
    batchNormInference(data, data, paramsOf(c), c.desc);
    assert.deepEqual(data, separate);
  });
}
