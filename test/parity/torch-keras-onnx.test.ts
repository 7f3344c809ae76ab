/**
 * The reference engine against the outside world: torchvision, Keras-convention and ONNX models
 * with random weights and BN statistics far from identity but matched to the activations (no layer
 * saturates: the outputs depend on the input), reference outputs computed by PyTorch
 * (tools/gen_parity_fixtures.py; see test/fixtures/parity/README.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { MobileNet, readModel } from '../../src/model/index.js';
import { foldBatchNorm } from '../../src/runtime/fold.js';
import { fuseLayers } from '../../src/runtime/fuse.js';
import { useNodeRuntime } from '../../src/node/runtime.js';
import type { Backend } from '../../src/runtime/session.js';
import { parseNpy } from '../../src/io/npy.js';
import { permute } from '../../src/io/layout.js';
import { toFloat32, type Tensor } from '../../src/tensor.js';
import { fixturePath, maxAbsDiff } from '../helpers.js';

const TOLERANCE = 1e-4;
useNodeRuntime();
const file = (name: string) => readFileSync(fixturePath('parity', name));
const npy = (name: string): Tensor => parseNpy(file(name));
const nchwToNhwc = (t: Tensor) => permute(toFloat32(t), t.shape, [0, 2, 3, 1]).data;

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  const { max, index } = maxAbsDiff(actual, expected);
  assert.ok(max <= TOLERANCE, `${what}: max abs diff ${max} at ${index} (ours ${actual[index]}, reference ${expected[index]})`);
}

for (const backend of ['ref', 'wasm'] as Backend[]) {
  test(`${backend}: torchvision mobilenet_v2 α=0.35 (.pth): logits, embedding and feature taps match torch`, async () => {
    const loaded = await readModel(file('tv_v2_035.pth'), { fileName: 'tv_v2_035.pth', options: { resolution: 64 } });
    assert.equal(loaded.graph.name, 'mobilenet_v2_0.35_64', 'α and classes are inferred from the weights');
    const model = await MobileNet.create(loaded, { backend });
    const x = nchwToNhwc(npy('tv_v2_035_input_nchw.npy'));
    const result = model.run(x, { embedding: true, taps: true });
    assertClose(result.logits!.data, toFloat32(npy('tv_v2_035_logits.npy')), 'logits');
    assertClose(result.embedding!.data, toFloat32(npy('tv_v2_035_embedding.npy')), 'embedding');
    for (const reduction of [2, 4, 8, 16, 32]) {
      const expected = npy(`tv_v2_035_tap${reduction}_nchw.npy`);
      const tap = result.taps![reduction]!;
      assert.deepEqual(tap.shape, [expected.shape[0], expected.shape[2], expected.shape[3], expected.shape[1]]);
      assertClose(tap.data, nchwToNhwc(expected), `tap /${reduction}`);
    }
  });

  test(`${backend}: MobileNetV1 α=0.25 in the documented torchvision layout (.pth) matches torch`, async () => {
    const model = await MobileNet.create(await readModel(file('tv_v1_025.pth'), { fileName: 'tv_v1_025.pth', options: { resolution: 64 } }), { backend, threads: backend === 'wasm' ? 2 : 1 });
    assert.equal(model.graph.name, 'mobilenet_v1_0.25_64');
    const out = model.run(nchwToNhwc(npy('tv_v1_025_input_nchw.npy')));
    assertClose(out.logits!.data, toFloat32(npy('tv_v1_025_logits.npy')), 'logits');
  });

  test(`${backend}: Keras MobileNetV2 .h5 (TF SAME padding, BN ε 1e-3) matches torch run with the same conventions`, async () => {
    const model = await MobileNet.create(await readModel(file('keras_v2_035.h5'), { fileName: 'keras_v2_035.h5', options: { resolution: 64 } }), { backend, threads: backend === 'wasm' ? 2 : 1 });
    assert.equal(model.graph.spec?.convention, 'keras');
    const out = model.run(toFloat32(npy('keras_v2_035_input_nhwc.npy')));
    assertClose(out.logits!.data, toFloat32(npy('keras_v2_035_logits.npy')), 'logits');
  });

  test("Keras MobileNet .h5 at 65×65: 'SAME' stem, Keras' fixed (0, 1) stride-2 depthwise padding, conv_preds head", async () => {
    const model = await MobileNet.create(await readModel(file('keras_v1_025.h5'), { fileName: 'keras_v1_025.h5', options: { resolution: 65 } }), { backend, threads: backend === 'wasm' ? 2 : 1 });
    const out = model.run(toFloat32(npy('keras_v1_025_input_nhwc.npy')));
    assertClose(out.logits!.data, toFloat32(npy('keras_v1_025_logits.npy')), 'logits');
    // The stem pads 'SAME' (1, 1) at 65: 33×33, as keras/src/applications/mobilenet.py builds it;
    // the first stride-2 depthwise conv then pads (0, 1) by hand: 16×16 (where 'SAME' gives 17×17).
    assert.deepEqual(model.graph.nodes.find((n) => n.name === 'stem.conv')!.shape, [33, 33, 8]);
    assert.deepEqual(model.graph.nodes.find((n) => n.name === 'blocks.1.dw.conv')!.shape.slice(0, 2), [16, 16]);
    // With TF 'SAME' padding everywhere instead, the same weights give other numbers, far outside
    // the tolerance: the convention matters.
    const same = await MobileNet.create(
      await readModel(file('keras_v1_025.h5'), { fileName: 'keras_v1_025.h5', options: { resolution: 65, padding: 'same' } }),
    );
    const wrong = same.run(toFloat32(npy('keras_v1_025_input_nhwc.npy')));
    assert.ok(maxAbsDiff(wrong.logits!.data, toFloat32(npy('keras_v1_025_logits.npy'))).max > 10 * TOLERANCE);
  });

  test(`${backend}: torch.onnx export of torchvision mobilenet_v2 imports and matches torch`, async () => {
    const loaded = await readModel(file('tv_v2_035.onnx'), { fileName: 'tv_v2_035.onnx' });
    const model = await MobileNet.create(loaded, { backend, threads: backend === 'wasm' ? 2 : 1 });
    assert.deepEqual(model.inputShape, [64, 64, 3]);
    const ops = new Set(model.graph.nodes.map((n) => n.op));
    assert.ok(ops.has('depthwiseConv2d') && ops.has('pointwiseConv2d') && ops.has('add') && ops.has('dense'));
    const x = nchwToNhwc(npy('tv_v2_035_input_nchw.npy'));
    const out = model.run(x);
    assertClose(out.logits!.data, toFloat32(npy('tv_v2_035_logits.npy')), 'logits');
    await model.release();
    if (backend === 'wasm') {
      // The export writes Add(shortcut, projection): every residual is still fused into its projection.
      const adds = loaded.graph.nodes.filter((n) => n.op === 'add');
      assert.equal(adds.length, 10);
      const readers = (name: string) => loaded.graph.nodes.filter((n) => n.inputs.includes(name)).length;
      for (const a of adds) {
        const second = loaded.graph.nodes.find((n) => n.name === a.inputs[1]);
        assert.ok(second?.op === 'pointwiseConv2d' && readers(second.name) === 1, `${a.name}: the projection is the second operand`);
      }
      const fused = fuseLayers(foldBatchNorm(loaded.graph, loaded.weights).graph).layers;
      assert.equal(fused.filter((l) => l.kind === 'pointwise' && l.residual).length, 10);
      assert.deepEqual(fused.filter((l) => l.kind === 'ref').map((l) => l.node.op), []);
      // And in memory-efficient chains (batch 2: the input twice).
      const banded = await MobileNet.create(loaded, { backend, threads: 2, memoryEfficient: true });
      const two = banded.run(Float32Array.from([...x, ...x])).logits!.data;
      const expected = toFloat32(npy('tv_v2_035_logits.npy'));
      assertClose(two.subarray(0, expected.length), expected, 'logits (memory-efficient, image 1)');
      assertClose(two.subarray(expected.length), expected, 'logits (memory-efficient, image 2)');
      await banded.release();
    }
  });

  test(`${backend}: our ONNX export runs in onnxruntime-node with the same outputs`, async () => {
    for (const name of ['tv_v2_035.pth', 'keras_v1_025.h5']) {
      const resolution = name.startsWith('keras') ? 65 : 64;
      const model = await MobileNet.create(await readModel(file(name), { fileName: name, options: { resolution } }), { backend, threads: backend === 'wasm' ? 2 : 1 });
      const session = await ort.InferenceSession.create(model.toOnnx());
      const input = name.startsWith('keras') ? toFloat32(npy('keras_v1_025_input_nhwc.npy')) : nchwToNhwc(npy('tv_v2_035_input_nchw.npy'));
      const n = input.length / (resolution * resolution * 3);
      const nchw = permute(input, [n, resolution, resolution, 3], [0, 3, 1, 2]).data;
      const out = await session.run({ input: new ort.Tensor('float32', nchw, [n, 3, resolution, resolution]) });
      const theirs = Object.values(out)[0]!.data as Float32Array;
      assertClose(model.run(input).logits!.data, theirs, `${name} via onnxruntime`);
      // The exported file carries its metadata and imports back to the same function.
      const back = await MobileNet.create(await readModel(model.toOnnx(), { fileName: 'x.onnx' }), { backend, threads: backend === 'wasm' ? 2 : 1 });
      assert.equal(back.metadata.model, model.metadata.model);
      assertClose(back.run(input).logits!.data, theirs, `${name} re-imported`);
    }
  });
}

test('the references can fail: logits depend on the input, and the wrong conventions miss them by far', async () => {
  // A random network whose activations saturate gives the same logits for every input, and then
  // the comparisons above would check little (the first version of these fixtures did).
  for (const name of ['tv_v2_035', 'tv_v1_025', 'keras_v2_035', 'keras_v1_025']) {
    const l = toFloat32(npy(`${name}_logits.npy`));
    let diff = 0;
    for (let c = 0; c < 10; c++) diff = Math.max(diff, Math.abs(l[c]! - l[10 + c]!));
    assert.ok(diff > 0.05, `${name}: the two inputs' logits differ by ${diff} only`);
  }
  // The Keras files read as torchvision-convention models (symmetric padding, BN ε 1e-5).
  for (const [name, size] of [['keras_v2_035', 64], ['keras_v1_025', 65]] as const) {
    const model = await MobileNet.create(await readModel(file(`${name}.h5`), { fileName: `${name}.h5`, options: { resolution: size, convention: 'torchvision' } }), { backend: 'ref' });
    const { max } = maxAbsDiff(model.run(toFloat32(npy(`${name}_input_nhwc.npy`))).logits!.data, toFloat32(npy(`${name}_logits.npy`)));
    assert.ok(max > 100 * TOLERANCE, `${name} under the wrong conventions is off by only ${max}`);
  }
});
