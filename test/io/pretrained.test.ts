/**
 * The pretrained-weights registry: counts, ids, URL patterns from torchvision's and keras' sources,
 * lookups and error messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MobileNetError } from '../../src/errors.js';
import { findPretrained, listPretrained, pretrainedPreprocessConfig, type PretrainedEntry } from '../../src/io/pretrained.js';
import { listModels } from '../../src/spec/registry.js';

test('2 torchvision + 16 Keras V1 + 30 Keras V2 weight sets, plus the 46 Keras no-top files', () => {
  const all = listPretrained();
  assert.equal(listPretrained({ source: 'torchvision' }).length, 2);
  assert.equal(listPretrained({ source: 'keras', arch: 'mobilenet_v1', includeTop: true }).length, 16);
  assert.equal(listPretrained({ source: 'keras', arch: 'mobilenet_v2', includeTop: true }).length, 30);
  assert.equal(listPretrained({ source: 'keras', includeTop: false }).length, 46);
  assert.equal(all.length, 94);
  assert.equal(new Set(all.map((e) => e.id)).size, all.length, 'ids are unique');
  assert.equal(new Set(all.map((e) => e.url)).size, all.length, 'URLs are unique');
  assert.equal(new Set(all.map((e) => `${e.source}/${e.fileName}`)).size, all.length, 'cache paths are unique');
  // Every entry names a model of the spec registry.
  const models = new Set(listModels().map((m) => m.name));
  for (const e of all) assert.ok(models.has(e.model), `${e.id}: ${e.model} is not in listModels()`);
});

test('torchvision entries carry the published URL, hash prefix, metrics and transforms', () => {
  const [v1, v2] = listPretrained({ source: 'torchvision' }) as [PretrainedEntry, PretrainedEntry];
  assert.equal(v1.id, 'torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V1');
  assert.equal(v1.url, 'https://download.pytorch.org/models/mobilenet_v2-b0353104.pth');
  assert.equal(v1.sha256Prefix, 'b0353104');
  assert.deepEqual(v1.accuracy && [v1.accuracy.top1, v1.accuracy.top5], [71.878, 90.286]);
  assert.equal(v1.preprocessOverrides, undefined);
  assert.equal(v2.url, 'https://download.pytorch.org/models/mobilenet_v2-7ebf99e0.pth');
  assert.equal(v2.sha256Prefix, '7ebf99e0');
  assert.deepEqual(v2.accuracy && [v2.accuracy.top1, v2.accuracy.top5], [72.154, 90.822]);
  assert.deepEqual(v2.preprocessOverrides, { resizeShorter: 232 });
  for (const e of [v1, v2]) {
    // The hash prefix is the hex part of the file name, as torch.hub's HASH_REGEX reads it.
    assert.equal(/-([a-f0-9]*)\./.exec(e.fileName)![1], e.sha256Prefix);
    assert.deepEqual(
      [e.arch, e.alpha, e.resolution, e.format, e.convention, e.preprocess, e.labels, e.classes, e.numParams, e.sha256, e.size],
      ['mobilenet_v2', 1, 224, 'pth', 'torchvision', 'torchvision', 'imagenet', 1000, 3504872, undefined, undefined],
    );
    assert.ok(e.notes.some((n) => /only the 8-digit prefix/.test(n)));
  }
  assert.equal(pretrainedPreprocessConfig(v1).resizeShorter, 256);
  assert.equal(pretrainedPreprocessConfig(v2).resizeShorter, 232);
});

test('Keras URLs follow keras-applications naming (alpha_text for V1, float(alpha) for V2)', () => {
  const v1Text: Record<string, string> = { '0.25': '2_5', '0.5': '5_0', '0.75': '7_5', '1': '1_0' };
  for (const e of listPretrained({ source: 'keras', arch: 'mobilenet_v1' })) {
    const suffix = e.includeTop ? '' : '_no_top';
    assert.equal(
      e.url,
      `https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/mobilenet_${v1Text[String(e.alpha)]}_${e.resolution}_tf${suffix}.h5`,
    );
    assert.ok([128, 160, 192, 224].includes(e.resolution));
  }
  const v2Alpha: Record<string, string> = { '0.35': '0.35', '0.5': '0.5', '0.75': '0.75', '1': '1.0', '1.3': '1.3', '1.4': '1.4' };
  for (const e of listPretrained({ source: 'keras', arch: 'mobilenet_v2' })) {
    const suffix = e.includeTop ? '' : '_no_top';
    assert.equal(
      e.url,
      `https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${v2Alpha[String(e.alpha)]}_${e.resolution}${suffix}.h5`,
    );
    assert.ok([96, 128, 160, 192, 224].includes(e.resolution));
  }
  for (const e of listPretrained({ source: 'keras' })) {
    assert.equal(e.fileName, e.url.slice(e.url.lastIndexOf('/') + 1));
    assert.deepEqual([e.format, e.convention, e.preprocess, e.labels, e.classes], ['h5', 'keras', 'keras', 'imagenet', 1000]);
    assert.equal(e.sha256, undefined, 'keras publishes no hashes');
    assert.equal(e.sha256Prefix, undefined);
    assert.equal(e.size, undefined);
    assert.ok(e.notes.some((n) => /no hash/.test(n)));
    assert.equal(e.id, `keras:${e.model}${e.includeTop ? '' : '.notop'}`);
  }
  assert.deepEqual(findPretrained('keras:mobilenet_v1_1.0_224').accuracy, { top1: 70.4, top5: 89.5, source: 'keras.io Keras Applications table' });
  assert.deepEqual(findPretrained('keras:mobilenet_v2_1.0_224').accuracy?.top1, 71.3);
  assert.equal(findPretrained('keras:mobilenet_v2_0.35_96').accuracy, undefined);
  const config = pretrainedPreprocessConfig(findPretrained('keras:mobilenet_v2_0.35_96'));
  assert.deepEqual([config.crop, config.divisor, config.resizeShorter], [{ height: 96, width: 96 }, 127.5, undefined]);
});

test('lookups by id and by model name', () => {
  const id = (q: string, source?: 'torchvision' | 'keras'): string => findPretrained(q, source).id;
  assert.equal(id('mobilenet_v2'), 'torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V1');
  assert.equal(id('mobilenet_v2_1.0_224'), 'torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V1');
  assert.equal(id('mobilenet_v2', 'keras'), 'keras:mobilenet_v2_1.0_224');
  assert.equal(id('keras:mobilenet_v2'), 'keras:mobilenet_v2_1.0_224');
  assert.equal(id('mobilenet_v2.IMAGENET1K_V2'), 'torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V2');
  assert.equal(id('TORCHVISION:MobileNet_V2.imagenet1k_v2'), 'torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V2');
  assert.equal(id('torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V1'), 'torchvision:mobilenet_v2_1.0_224.IMAGENET1K_V1');
  assert.equal(id('keras:mobilenet_v2_0.35_96'), 'keras:mobilenet_v2_0.35_96');
  assert.equal(id('mobilenet_v2_0.35_96'), 'keras:mobilenet_v2_0.35_96');
  assert.equal(id('mobilenet_v2_0.50_160'), 'keras:mobilenet_v2_0.5_160');
  assert.equal(id('mobilenet_v1'), 'keras:mobilenet_v1_1.0_224');
  assert.equal(id('mobilenet_v1_0.25_128.notop'), 'keras:mobilenet_v1_0.25_128.notop');
  assert.equal(id('mobilenet_v2.notop'), 'keras:mobilenet_v2_1.0_224.notop');
  assert.equal(id('keras:mobilenet_v2_1.4_224.imagenet'), 'keras:mobilenet_v2_1.4_224');
  // Results are copies: changing one does not change the registry.
  const entry = findPretrained('mobilenet_v2');
  entry.url = 'changed';
  entry.accuracy!.top1 = 0;
  assert.equal(findPretrained('mobilenet_v2').url, 'https://download.pytorch.org/models/mobilenet_v2-b0353104.pth');
  assert.equal(findPretrained('mobilenet_v2').accuracy!.top1, 71.878);
});

test('unknown weights give UNKNOWN_MODEL listing what exists', () => {
  const unknown = (query: string, source: 'torchvision' | 'keras' | undefined, pattern: RegExp): void => {
    assert.throws(
      () => findPretrained(query, source),
      (e: unknown) => {
        assert.ok(e instanceof MobileNetError);
        assert.equal(e.code, 'UNKNOWN_MODEL');
        assert.match(e.message, pattern);
        assert.match(e.message, /available: torchvision: mobilenet_v2 .*IMAGENET1K_V1 \(default\) and IMAGENET1K_V2; keras: mobilenet_v1 α 0\.25\/0\.5\/0\.75\/1\.0 × 128\/160\/192\/224; keras: mobilenet_v2 α 0\.35\/0\.5\/0\.75\/1\.0\/1\.3\/1\.4 × 96\/128\/160\/192\/224/);
        return true;
      },
    );
  };
  unknown('mobilenet_v2_0.35_64', undefined, /for 'mobilenet_v2_0\.35_64' \(mobilenet_v2_0\.35_64 has no published weights\)/);
  unknown('mobilenet_v1_1.3_224', undefined, /mobilenet_v1_1\.3_224 has no published weights/);
  unknown('mobilenet_v1', 'torchvision', /from torchvision \(mobilenet_v1_1\.0_224 has: keras:mobilenet_v1_1\.0_224, keras:mobilenet_v1_1\.0_224\.notop\)/);
  unknown('torchvision:mobilenet_v2.notop', undefined, /mobilenet_v2_1\.0_224 has: torchvision:/);
  unknown('mobilenet_v2.imagenet1k_v3', undefined, /for 'mobilenet_v2\.imagenet1k_v3'/);
  unknown('resnet50', undefined, /'resnet50' is not a model name/);
  unknown('tf:mobilenet_v2', undefined, /unknown source 'tf'/);
  unknown('keras:mobilenet_v2', 'torchvision', /names source 'keras' but source 'torchvision' was asked for/);
  unknown('', undefined, /expected an id or a model name/);
  assert.throws(() => findPretrained('mobilenet_v2', 'onnx' as never), (e: unknown) => e instanceof MobileNetError && e.code === 'INVALID_ARGUMENT');
});
