/**
 * Three SGD steps in training mode (batch-norm batch statistics and running averages, label
 * smoothing, Nesterov momentum, weight decay) give PyTorch's weights (tools/gen_train_fixtures.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readModel } from '../../../src/model/load.js';
import { parseNpy } from '../../../src/io/npy.js';
import { permute } from '../../../src/io/layout.js';
import { toFloat32 } from '../../../src/tensor.js';
import * as ref from '../../../src/kernels/ref/index.js';
import { TrainableNetwork } from '../../../src/train/network.js';
import { FastTrainableNetwork } from '../../../src/train/fast-network.js';
import { useNodeRuntime } from '../../../src/node/runtime.js';

useNodeRuntime();
import { createOptimizer, graphParamInfo } from '../../../src/train/optimizers.js';
import { fixturePath } from '../../helpers.js';

const file = (name: string) => new Uint8Array(readFileSync(fixturePath('train', name)));

for (const engine of ['ref', 'wasm'] as const) {
test(`${engine}: three training steps match PyTorch: losses, weights and BN running statistics`, async () => {
  const steps = JSON.parse(readFileSync(fixturePath('train', 'steps.json'), 'utf8')) as {
    setting: number[][];
    labels: number[];
    losses: number[];
    lr: number;
    momentum: number;
    weight_decay: number;
    label_smoothing: number;
  };
  const options = {
    resolution: 32,
    alpha: 0.25,
    dropout: 0,
    blocks: steps.setting.map(([t, c, n, s]) => ({ t: t!, c: c!, n: n!, s: s! })),
  };
  const initial = await readModel(file('initial.pth'), { model: 'mobilenet_v2', options });
  const expected = await readModel(file('final.pth'), { model: 'mobilenet_v2', options });
  const net = engine === 'ref' ? new TrainableNetwork(initial.graph, initial.weights) : await FastTrainableNetwork.create(initial.graph, initial.weights, { threads: 2 });
  const optimizer = createOptimizer(graphParamInfo(initial.graph), {
    type: 'sgd',
    momentum: steps.momentum,
    nesterov: true,
    weightDecay: steps.weight_decay,
    decayDepthwise: true,
    decayBatchNorm: true,
    decayBias: true,
  });
  const x = parseNpy(file('input_nchw.npy'));
  const input = permute(toFloat32(x), x.shape, [0, 2, 3, 1]).data;
  const labels = Int32Array.from(steps.labels);
  const batch = labels.length;
  for (let step = 0; step < 3; step++) {
    net.zeroGrad();
    const logits = net.forward(input, true);
    const probabilities = new Float32Array(logits.length);
    const desc = { rows: batch, cols: 10, labelSmoothing: steps.label_smoothing };
    const loss = ref.softmaxCrossEntropy(logits, labels, new Float32Array(batch), probabilities, desc);
    assert.ok(Math.abs(loss - steps.losses[step]!) < 1e-4, `step ${step}: loss ${loss} vs torch ${steps.losses[step]}`);
    const grad = new Float32Array(logits.length);
    ref.softmaxCrossEntropyBackward(probabilities, labels, grad, desc);
    net.backward(grad);
    optimizer.step(initial.weights, net.grads, steps.lr);
  }
  let worst = 0;
  let where = '';
  for (const [name, t] of expected.weights) {
    const ours = initial.weights.get(name)!.data;
    let scale = 1e-3;
    for (const v of t.data) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i]! - t.data[i]!) / scale;
      if (d > worst) {
        worst = d;
        where = `${name}[${i}] ours ${ours[i]} torch ${t.data[i]}`;
      }
    }
  }
  assert.ok(worst < 1e-4, `worst relative difference ${worst} at ${where}`);
});
}
