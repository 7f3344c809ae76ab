/**
 * The backward reference kernels (and batch norm's training-mode forward, dropout and softmax
 * cross-entropy) against PyTorch autograd on the same float32 data: fixtures in
 * test/fixtures/backward/, written by tools/gen_backward_fixtures.py (see the README there). Every
 * comparison is max |ours − torch| ≤ 1e-5 · max(1, max |torch|); the worst difference of each case
 * is printed as a diagnostic.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import {
  activationBackward,
  batchNormBackward,
  batchNormTraining,
  conv2dBackward,
  denseBackward,
  depthwiseConv2dBackward,
  dropoutBackward,
  dropoutForward,
  globalAvgPoolBackward,
  globalMaxPoolBackward,
  pointwiseConv2dBackward,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  updateRunningStats,
  type ActivationFn,
  type BatchNormDesc,
  type Conv2dDesc,
  type DenseDesc,
  type DepthwiseConv2dDesc,
  type GlobalPoolDesc,
  type PointwiseConv2dDesc,
  type SoftmaxCrossEntropyDesc,
} from '../../../src/kernels/ref/index.js';
import { fixturePath } from '../../helpers.js';
import { assertClose, optionalTensor, shapeOf, tensor, type FixtureCase, type FixtureFile } from './support.js';

const TOLERANCE = 1e-5;

type Case<D, Extra = object> = FixtureCase<D> & Extra;

function load<D, Extra = object>(kernel: string): { torch: string; cases: readonly Case<D, Extra>[] } {
  const file = JSON.parse(readFileSync(fixturePath('backward', `${kernel}.json`), 'utf8')) as FixtureFile<D>;
  assert.equal(file.kernel, kernel);
  assert.ok(file.cases.length > 0, `${kernel}.json has no cases`);
  return { torch: file.torch, cases: file.cases as readonly Case<D, Extra>[] };
}

/** Compares with torch's tensor `key` and reports the difference. */
function compare<D>(t: TestContext, c: FixtureCase<D>, key: string, actual: ArrayLike<number>): void {
  const diff = assertClose(actual, tensor(c, key), `${c.name}: ${key}`, { tolerance: TOLERANCE, shape: shapeOf(c, key) });
  t.diagnostic(`${key}: max abs diff vs torch ${diff.toExponential(2)}`);
}

type ConvBackward<D> = (
  input: Float32Array, weight: Float32Array, gradOutput: Float32Array,
  gradInput: Float32Array | null, gradWeight: Float32Array | null, gradBias: Float32Array | null, desc: D,
) => void;

function convLike<D>(kernel: string, backward: ConvBackward<D>): void {
  const fixture = load<D>(kernel);
  for (const c of fixture.cases) {
    test(`${kernel} matches torch ${fixture.torch} autograd: ${c.name}`, (t) => {
      const input = tensor(c, 'input');
      const weight = tensor(c, 'weight');
      const hasBias = optionalTensor(c, 'bias') !== null;
      const gradInput = new Float32Array(input.length).fill(Number.NaN); // overwritten
      const gradWeight = new Float32Array(weight.length); // accumulated into zeros
      const gradBias = hasBias ? new Float32Array(tensor(c, 'bias').length) : null;
      backward(input, weight, tensor(c, 'gradOutput'), gradInput, gradWeight, gradBias, c.desc);
      compare(t, c, 'gradInput', gradInput);
      compare(t, c, 'gradWeight', gradWeight);
      if (gradBias !== null) compare(t, c, 'gradBias', gradBias);
    });
  }
}

convLike<Conv2dDesc>('conv2dBackward', conv2dBackward);
convLike<DepthwiseConv2dDesc>('depthwiseConv2dBackward', depthwiseConv2dBackward);
convLike<PointwiseConv2dDesc>('pointwiseConv2dBackward', pointwiseConv2dBackward);
convLike<DenseDesc>('denseBackward', denseBackward);

// ---------------------------------------------------------------------------------------------------
{
  const fixture = load<BatchNormDesc, { epsilon: number; decay: number; momentum: number }>('batchNormTraining');
  for (const c of fixture.cases) {
    test(`batchNormTraining + updateRunningStats + batchNormBackward match torch ${fixture.torch} BatchNorm (momentum ${c.momentum}): ${c.name}`, (t) => {
      const { count, channels } = c.desc;
      const input = tensor(c, 'input');
      const params = { gamma: tensor(c, 'gamma'), beta: tensor(c, 'beta'), epsilon: c.epsilon };
      const saved = { mean: new Float32Array(channels), invStd: new Float32Array(channels), unbiasedVariance: new Float32Array(channels) };
      const output = new Float32Array(count * channels).fill(Number.NaN);
      batchNormTraining(input, output, params, saved, c.desc);
      compare(t, c, 'output', output);
      compare(t, c, 'mean', saved.mean);
      compare(t, c, 'invStd', saved.invStd);
      compare(t, c, 'unbiasedVariance', saved.unbiasedVariance);

      const runningMean = tensor(c, 'runningMeanBefore');
      const runningVar = tensor(c, 'runningVarBefore');
      updateRunningStats(runningMean, runningVar, saved.mean, saved.unbiasedVariance, c.decay);
      compare(t, c, 'runningMean', runningMean);
      compare(t, c, 'runningVar', runningVar);

      const gradInput = new Float32Array(count * channels).fill(Number.NaN);
      const gradGamma = new Float32Array(channels);
      const gradBeta = new Float32Array(channels);
      batchNormBackward(input, tensor(c, 'gradOutput'), gradInput, gradGamma, gradBeta, params, saved, c.desc);
      compare(t, c, 'gradInput', gradInput);
      compare(t, c, 'gradGamma', gradGamma);
      compare(t, c, 'gradBeta', gradBeta);

      // In place on gradOutput gives the same gradient.
      const inPlace = tensor(c, 'gradOutput');
      batchNormBackward(input, inPlace, inPlace, null, null, params, saved, c.desc);
      assert.deepEqual(inPlace, gradInput);
    });
  }
}

// ---------------------------------------------------------------------------------------------------
{
  const fixture = load<{ fn: ActivationFn; length: number }>('activationBackward');
  for (const c of fixture.cases) {
    test(`activationBackward matches torch ${fixture.torch} autograd, kinks included: ${c.name}`, (t) => {
      const gradInput = new Float32Array(c.desc.length).fill(Number.NaN);
      activationBackward(tensor(c, 'input'), tensor(c, 'gradOutput'), gradInput, c.desc.fn, c.desc.length);
      compare(t, c, 'gradInput', gradInput);
    });
  }
}

for (const kernel of ['globalAvgPoolBackward', 'globalMaxPoolBackward'] as const) {
  const fixture = load<GlobalPoolDesc>(kernel);
  for (const c of fixture.cases) {
    test(`${kernel} matches torch ${fixture.torch} adaptive pool autograd: ${c.name}`, (t) => {
      const gradInput = new Float32Array(tensor(c, 'input').length).fill(Number.NaN);
      if (kernel === 'globalAvgPoolBackward') globalAvgPoolBackward(tensor(c, 'gradOutput'), gradInput, c.desc);
      else globalMaxPoolBackward(tensor(c, 'input'), tensor(c, 'gradOutput'), gradInput, c.desc);
      compare(t, c, 'gradInput', gradInput);
    });
  }
}

{
  const fixture = load<{ length: number; rate: number }>('dropout');
  for (const c of fixture.cases) {
    test(`dropoutForward / dropoutBackward match torch ${fixture.torch} F.dropout with torch's mask: ${c.name}`, (t) => {
      const { length, rate } = c.desc;
      const torchMask = tensor(c, 'mask');
      // A `random` that replays torch's mask: below the rate drops, at or above it keeps.
      let i = 0;
      const replay = (): number => (torchMask[i++] === 1 ? rate : rate / 2);
      const output = new Float32Array(length).fill(Number.NaN);
      const mask = new Uint8Array(length).fill(7);
      dropoutForward(tensor(c, 'input'), output, mask, rate, replay, length);
      assert.deepEqual(Array.from(mask), Array.from(torchMask));
      compare(t, c, 'output', output);
      const gradInput = new Float32Array(length).fill(Number.NaN);
      dropoutBackward(tensor(c, 'gradOutput'), mask, gradInput, rate, length);
      compare(t, c, 'gradInput', gradInput);
    });
  }
}

{
  const fixture = load<SoftmaxCrossEntropyDesc, { labels: number[]; meanLoss: number }>('softmaxCrossEntropy');
  for (const c of fixture.cases) {
    test(`softmaxCrossEntropy(+Backward) matches torch ${fixture.torch} F.cross_entropy: ${c.name}`, (t) => {
      const { rows, cols } = c.desc;
      const labels = Int32Array.from(c.labels);
      const rowLoss = new Float32Array(rows).fill(Number.NaN);
      const probabilities = new Float32Array(rows * cols).fill(Number.NaN);
      const mean = softmaxCrossEntropy(tensor(c, 'logits'), labels, rowLoss, probabilities, c.desc);
      assertClose([mean], [c.meanLoss], `${c.name}: mean loss`, { tolerance: TOLERANCE });
      t.diagnostic(`mean loss: ours ${mean}, torch ${c.meanLoss}`);
      compare(t, c, 'rowLoss', rowLoss);
      compare(t, c, 'probabilities', probabilities);
      const gradLogits = new Float32Array(rows * cols).fill(Number.NaN);
      softmaxCrossEntropyBackward(probabilities, labels, gradLogits, c.desc);
      compare(t, c, 'gradLogits', gradLogits);
    });
  }
}
