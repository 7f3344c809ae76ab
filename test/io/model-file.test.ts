/** Whole-model files: format detection, round trips, transfer-learning loads and refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MobileNet, MobileNetError, buildGraph, createSpec, detectFormat, initWeights, presetConfig, readModel, serializeSafetensors } from '../../src/index.js';
import { parseNpy } from '../../src/io/npy.js';
import { toFloat32 } from '../../src/tensor.js';
import { fixturePath, maxAbsDiff, seededRandom } from '../helpers.js';

const parity = (name: string) => new Uint8Array(readFileSync(fixturePath('parity', name)));

function randomInput(shape: readonly number[], batch: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: batch * shape[0]! * shape[1]! * shape[2]! }, () => random() * 2 - 1);
}

async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof MobileNetError, `expected a MobileNetError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

test('format detection from the bytes', () => {
  assert.equal(detectFormat(parity('tv_v2_035.pth')), 'pth');
  assert.equal(detectFormat(parity('keras_v2_035.h5')), 'h5');
  assert.equal(detectFormat(parity('tv_v2_035.onnx'), 'tv_v2_035.onnx'), 'onnx');
  const st = serializeSafetensors(new Map([['a', { dtype: 'float32', shape: [1], data: new Float32Array([1]) }]]));
  assert.equal(detectFormat(st), 'safetensors');
  assert.throws(() => detectFormat(new TextEncoder().encode('hello world, not weights'), 'x.bin'), /x\.bin: not a recognized weights file/);
});

test('safetensors round trip keeps the weights, the architecture options and the metadata', async () => {
  const original = await MobileNet.create(await readModel(parity('tv_v2_035.pth'), { fileName: 'tv_v2_035.pth', options: { resolution: 64 } }));
  const bytes = original.toSafetensors();
  const loaded = await readModel(bytes, { fileName: 'model.safetensors' });
  assert.equal(loaded.graph.name, 'mobilenet_v2_0.35_64');
  assert.deepEqual(loaded.metadata.preprocess, original.metadata.preprocess);
  assert.equal(loaded.metadata.preprocess.preset, 'torchvision');
  assert.equal(loaded.metadata.model, 'mobilenet_v2');
  const copy = await MobileNet.create(loaded);
  const x = randomInput(copy.inputShape, 2, 7);
  assert.equal(maxAbsDiff(copy.run(x).logits!.data, original.run(x).logits!.data).max, 0);
});

test('a 1000-class model carries the ImageNet labels and the preprocessing of its source', async () => {
  const graph = buildGraph(createSpec('mobilenet_v1_0.25_128', { convention: 'keras' }));
  const weights = initWeights(graph, { seed: 1 });
  const { defaultMetadata } = await import('../../src/model/metadata.js');
  const model = await MobileNet.create({ graph, weights, metadata: defaultMetadata(graph.spec!, 'mobilenet_v1_0.25_128', { convention: 'keras' }) });
  const back = await readModel(model.toSafetensors());
  assert.equal(back.metadata.labels.length, 1000);
  assert.equal(back.metadata.labels[0], 'tench');
  assert.equal(back.metadata.preprocess.preset, 'keras');
  assert.equal(back.graph.spec?.convention, 'keras');
  assert.equal(back.graph.spec?.padding, 'keras-v1');
});

test('strict: false keeps the backbone and gives a differently sized head fresh weights', async () => {
  const tv = await readModel(parity('tv_v2_035.pth'), { fileName: 'tv_v2_035.pth', options: { resolution: 64 } });
  const transfer = await readModel(parity('tv_v2_035.pth'), { model: 'mobilenet_v2', strict: false, options: { resolution: 64, classes: 3, alpha: 0.35 } });
  assert.equal(transfer.weights.get('classifier.weight')!.shape.join(), '1280,3');
  for (const [name, t] of transfer.weights) {
    if (!name.startsWith('classifier.')) assert.equal(maxAbsDiff(t.data, tv.weights.get(name)!.data).max, 0, name);
  }
  const model = await MobileNet.create(transfer);
  const x = randomInput(model.inputShape, 1, 3);
  const tvEmbedding = (await MobileNet.create(tv)).embed(x);
  assert.equal(maxAbsDiff(model.embed(x).data, tvEmbedding.data).max, 0);
  // Strict loading reports the head mismatch instead.
  await rejects(
    readModel(parity('tv_v2_035.pth'), { model: 'mobilenet_v2', options: { resolution: 64, classes: 3, alpha: 0.35 } }),
    'WEIGHTS_MISMATCH',
    /classifier\.1\.weight expected \[3, 1280\] found \[10, 1280\]/,
  );
});

test('weights that do not fit are reported at once, in the file’s own names', async () => {
  await rejects(
    readModel(parity('tv_v1_025.pth'), { model: 'mobilenet_v2_0.35_64', fileName: 'tv_v1_025.pth' }),
    'WEIGHTS_MISMATCH',
    /tv_v1_025\.pth do not fit mobilenet_v2_0\.35_64.*missing \d+: features\.1\.conv\.0\.0\.weight.*unexpected \d+: features\.1\.0\.0\.weight/,
  );
  await rejects(readModel(parity('keras_v1_025.h5'), { model: 'mobilenet_v2', fileName: 'k.h5' }), 'WEIGHTS_MISMATCH', /Keras weights in k\.h5 do not fit/);
});

test('truncated or corrupt files of every format: a clear error, never a crash', async () => {
  const files = ['tv_v2_035.pth', 'keras_v1_025.h5', 'tv_v2_035.onnx'];
  const graph = buildGraph(createSpec('mobilenet_v2_0.35_96'));
  const st = serializeSafetensors(initWeights(graph));
  for (const [name, bytes] of [...files.map((f) => [f, parity(f)] as const), ['model.safetensors', st] as const]) {
    for (const fraction of [0.001, 0.1, 0.5, 0.9, 0.999]) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
      const options = name.endsWith('.safetensors') ? { fileName: name, model: 'mobilenet_v2_0.35_96' } : { fileName: name };
      await assert.rejects(readModel(cut, options), (err: unknown) => {
        assert.ok(err instanceof MobileNetError, `${name} cut at ${fraction}: ${String(err)}`);
        assert.ok(['INVALID_FORMAT', 'UNSUPPORTED', 'WEIGHTS_MISMATCH'].includes(err.code), `${name} cut at ${fraction}: ${err.code} ${err.message}`);
        return true;
      });
    }
  }
});

test('safetensors metadata describing an absurd network is refused by name before the graph is built', async () => {
  // Found by test/io/malformed-inputs.test.ts: a corrupted repeat count (2^53 + 1 blocks) made
  // readModel build the spec block by block until the heap ran out.
  const tensor = { dtype: 'float32' as const, shape: [1], data: new Float32Array(1) };
  const bytes = serializeSafetensors(new Map([['w', tensor]]), {
    'mobilenet.version': '1',
    'mobilenet.model': 'mobilenet_v2',
    'mobilenet.options': '{"resolution":32,"blocks":[{"t":1,"c":16,"n":9007199254740993,"s":1}]}',
    'mobilenet.preprocess': JSON.stringify(presetConfig('torchvision', 32)),
    'mobilenet.labels': '[]',
  });
  await rejects(readModel(bytes, { fileName: 'huge.safetensors' }), 'INVALID_FORMAT', /^huge\.safetensors: metadata 'mobilenet\.model' and 'mobilenet\.options': blocks\[0\]\.n must be an integer from 1 to 1000/);
});

test('a pickle naming a forbidden global is refused before anything runs', async () => {
  const evil = new Uint8Array(readFileSync(fixturePath('io', 'refuse_system.pt')));
  await rejects(readModel(evil, { fileName: 'evil.pth', model: 'mobilenet_v2' }), 'UNSUPPORTED', /system.*never runs code from a file/);
});

test('an input of the wrong shape is refused with expected vs found', async () => {
  const model = await MobileNet.create(await readModel(parity('tv_v1_025.pth'), { options: { resolution: 64 } }));
  assert.throws(() => model.run(new Float32Array(64 * 64 * 3 + 1)), /not a whole number of \[64, 64, 3\] examples/);
  assert.throws(() => model.run(new Float32Array(0)), /SHAPE|examples/);
  const x = toFloat32(parseNpy(parity('tv_v1_025_input_nchw.npy')));
  assert.equal(model.run(x).logits!.shape[0], 2, 'an NCHW buffer of the right size runs (layout is the caller’s promise)');
});

test('Keras .h5: the input size comes from a keras-applications file name, never from an α in a name', async () => {
  const bytes = new Uint8Array(readFileSync(fixturePath('parity', 'keras_v2_035.h5')));
  const plain = await readModel(bytes, { fileName: 'keras_v2_035.h5' });
  assert.equal(plain.graph.spec!.alpha, 0.35);
  assert.equal(plain.graph.spec!.height, 224, '"_035" is α 0.35, not a 35-pixel input: Keras\' default size');
  const named = await readModel(bytes, { fileName: 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5' });
  assert.equal(named.graph.spec!.height, 96);
  // Under strict: false (transfer learning) the 10-class head does not stop α from being inferred.
  const loose = await readModel(bytes, { fileName: 'keras_v2_035.h5', strict: false });
  assert.equal(loose.graph.spec!.alpha, 0.35);
});

test('Keras .h5: only a keras-applications file name gives the input size, not any name ending in a size', async () => {
  const bytes = new Uint8Array(readFileSync(fixturePath('parity', 'keras_v2_035.h5')));
  for (const fileName of ['run_epoch_160.h5', 'my_v2_0.35_160.h5', 'mobilenet_v2_weights_160.h5', 'x_192_tf_no_top.h5']) {
    const loaded = await readModel(bytes, { fileName });
    assert.equal(loaded.graph.spec!.height, 224, `${fileName}: not a keras-applications name, so the default size`);
  }
  // keras-applications' own names (keras/src/applications/mobilenet_v2.py: …_<float(alpha)>_<rows>[_no_top].h5).
  const noTop = await readModel(bytes, { fileName: 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_160_no_top.h5' });
  assert.equal(noTop.graph.spec!.height, 160);
  // A size asked for explicitly wins over the file name.
  const asked = await readModel(bytes, { fileName: 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5', options: { resolution: 64 } });
  assert.equal(asked.graph.spec!.height, 64);
});

test('weights that record no input size take fallbackResolution; a recorded size is kept', async () => {
  const pth = await readModel(parity('tv_v2_035.pth'), { fallbackResolution: 48 });
  assert.equal(pth.graph.spec!.height, 48, '.pth records no size');
  const named = await readModel(parity('tv_v2_035.pth'), { model: 'mobilenet_v2_0.35_64', fallbackResolution: 48 });
  assert.equal(named.graph.spec!.height, 64, 'the model name records it');
  const st = (await MobileNet.create(pth)).toSafetensors();
  assert.equal((await readModel(st, { fallbackResolution: 96 })).graph.spec!.height, 48, 'the safetensors metadata records it');
});

test('labels follow the classifier: a fresh head (strict: false) or no head has none; the file’s own head keeps its labels', async () => {
  const graph = buildGraph(createSpec('mobilenet_v1_0.25_128', { convention: 'keras' }));
  const { defaultMetadata } = await import('../../src/model/metadata.js');
  const imagenet = await MobileNet.create({ graph, weights: initWeights(graph, { seed: 1 }), metadata: defaultMetadata(graph.spec!, 'mobilenet_v1_0.25_128', { convention: 'keras' }) });
  const bytes = imagenet.toSafetensors();
  assert.equal((await readModel(bytes)).metadata.labels.length, 1000);
  const transfer = await readModel(bytes, { strict: false, options: { classes: 3 } });
  assert.equal(transfer.weights.get('classifier.weight')!.shape.join(), '256,3');
  assert.deepEqual(transfer.metadata.labels, [], 'ImageNet labels do not name a fresh 3-class head');
  const backbone = await readModel(bytes, { strict: false, options: { includeTop: false } });
  assert.deepEqual(backbone.metadata.labels, []);
  // A 10-class .pth read into a 1000-class model: the head is fresh, so no ImageNet labels either.
  const pth = await readModel(parity('tv_v2_035.pth'), { model: 'mobilenet_v2', strict: false, options: { resolution: 64, alpha: 0.35, classes: 1000 } });
  assert.equal(pth.weights.get('classifier.weight')!.shape.join(), '1280,1000');
  assert.deepEqual(pth.metadata.labels, []);
});

test('Keras names for a MobileNetV1 with full convolutions → UNSUPPORTED saying Keras has none', async () => {
  const { exportWeights } = await import('../../src/io/names.js');
  const message = /^Keras has no MobileNetV1 with full convolutions \(separable: false\)/;
  await rejects(readModel(parity('keras_v1_025.h5'), { model: 'mobilenet_v1', options: { separable: false } }), 'UNSUPPORTED', message);
  const graph = buildGraph(createSpec('mobilenet_v1_0.25_128', { separable: false }));
  assert.throws(() => exportWeights(graph, 'keras', initWeights(graph)), (err: unknown) => err instanceof MobileNetError && err.code === 'UNSUPPORTED' && message.test(err.message));
});
