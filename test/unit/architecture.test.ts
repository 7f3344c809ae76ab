/**
 * Spec and graph structure: against torchvision's own MobileNetV2 (fixture dumped by
 * tools/gen_arch_fixtures.py), the registry (every preset builds, timm-style), padding rules,
 * output stride and feature taps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSpec, listModels, makeDivisible, mobilenetV2Spec, parseModelName, buildSpec } from '../../src/spec/index.js';
import { buildGraph, graphCost, type GraphNode } from '../../src/graph/index.js';
import { MobileNetError } from '../../src/errors.js';
import { fixturePath } from '../helpers.js';

interface TorchConv {
  name: string;
  in: number;
  out: number;
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
  bias: boolean;
}
interface TorchCase {
  alpha: number;
  classes: number;
  convs: TorchConv[];
  classifier: { in: number; out: number };
  dropout: number;
  trainable: number;
  buffers: number;
}

const torchvision = JSON.parse(readFileSync(fixturePath('arch', 'torchvision_mobilenet_v2.json'), 'utf8')) as {
  cases: TorchCase[];
};

/** Our conv-like nodes as torchvision's Conv2d attributes. */
function asTorchConvs(nodes: GraphNode[]) {
  const out = [];
  for (const node of nodes) {
    if (node.op === 'conv2d') {
      const a = node.attrs;
      out.push({ in: a.inChannels, out: a.outChannels, kernel: a.kernel[0], stride: a.stride[0], padding: a.padding.top, dilation: a.dilation[0], groups: a.groups });
    } else if (node.op === 'depthwiseConv2d') {
      const a = node.attrs;
      out.push({ in: a.channels, out: a.channels * a.multiplier, kernel: a.kernel[0], stride: a.stride[0], padding: a.padding.top, dilation: a.dilation[0], groups: a.channels });
    } else if (node.op === 'pointwiseConv2d') {
      out.push({ in: node.attrs.inChannels, out: node.attrs.outChannels, kernel: 1, stride: 1, padding: 0, dilation: 1, groups: 1 });
    }
  }
  return out;
}

test('MobileNetV2 matches torchvision layer by layer for α from 0.1 to 2.0', () => {
  assert.ok(torchvision.cases.length >= 16);
  for (const c of torchvision.cases) {
    const spec = mobilenetV2Spec({ alpha: c.alpha, classes: c.classes, convention: 'torchvision' });
    const graph = buildGraph(spec);
    const ours = asTorchConvs(graph.nodes);
    const theirs = c.convs.map(({ name: _name, bias: _bias, ...rest }) => rest);
    assert.deepEqual(ours, theirs, `α=${c.alpha}`);
    const dense = graph.nodes.find((n) => n.op === 'dense')!;
    assert.equal(dense.op === 'dense' && dense.attrs.inFeatures, c.classifier.in);
    const cost = graphCost(graph);
    assert.equal(cost.totals.params.trainable, c.trainable, `α=${c.alpha} trainable`);
    assert.equal(cost.totals.params.all - cost.totals.params.trainable, c.buffers, `α=${c.alpha} BN statistics`);
    assert.equal(spec.dropout, c.dropout);
  }
});

test('makeDivisible follows the published rule', () => {
  assert.equal(makeDivisible(32 * 0.35), 16); // 8 would be more than 10% below 11.2
  assert.equal(makeDivisible(16 * 0.35), 8);
  assert.equal(makeDivisible(1280 * 1.4), 1792);
  assert.equal(makeDivisible(3), 8);
  assert.equal(makeDivisible(100, 8), 104);
  assert.equal(makeDivisible(91, 8), 88);
});

test('every registered preset builds, its shapes chain and its taps are in order', () => {
  const presets = listModels();
  assert.equal(presets.filter((p) => p.arch === 'mobilenet_v1').length, 16);
  assert.equal(presets.filter((p) => p.arch === 'mobilenet_v2').length, 30);
  for (const preset of presets) {
    for (const convention of ['torchvision', 'keras', 'slim'] as const) {
      const graph = buildGraph(createSpec(preset.name, { convention }));
      assert.equal(graph.name, preset.name);
      assert.deepEqual(graph.taps.map((t) => t.reduction), [2, 4, 8, 16, 32], preset.name);
      const last = graph.taps.at(-1)!;
      assert.deepEqual(last.shape.slice(0, 2), [Math.ceil(preset.resolution / 32), Math.ceil(preset.resolution / 32)]);
      assert.ok(graph.outputs.logits && graph.outputs.embedding);
      const parsed = parseModelName(preset.name);
      assert.equal(parsed.alpha, preset.alpha);
      assert.equal(parsed.resolution, preset.resolution);
    }
  }
});

test('model names: decimal α as written, TF-slim’s three-digit α in hundredths, ambiguous α refused', () => {
  // TF-slim names its networks mobilenet_v1_025/050/075 and mobilenet_v2_035/050/075/100/130/140
  // (nets_factory), its checkpoints mobilenet_v1_0.25_128, mobilenet_v2_1.4_224; Keras prints
  // α with two decimals (mobilenet_1.00_224). The same network whichever way it is written.
  const cases: Array<[string, number, number]> = [
    ['mobilenet_v1_025_128', 0.25, 128],
    ['mobilenet_v1_050_160', 0.5, 160],
    ['mobilenet_v1_075_192', 0.75, 192],
    ['mobilenet_v2_035_96', 0.35, 96],
    ['mobilenet_v2_100_224', 1.0, 224],
    ['mobilenet_v2_130_224', 1.3, 224],
    ['mobilenet_v2_140_224', 1.4, 224],
    ['mobilenet_v1_0.25_128', 0.25, 128],
    ['mobilenet_v2_1.4_224', 1.4, 224],
    ['mobilenet_v2_1.00_224', 1.0, 224],
    ['mobilenet_v2_0.35_96', 0.35, 96],
    ['mobilenet_v2_1_224', 1, 224],
    ['MobileNet-V2-0.5-160', 0.5, 160],
  ];
  for (const [name, alpha, resolution] of cases) {
    assert.deepEqual(parseModelName(name), { arch: name.toLowerCase().includes('v1') ? 'mobilenet_v1' : 'mobilenet_v2', alpha, resolution }, name);
  }
  assert.equal(buildGraph(createSpec('mobilenet_v2_035_96')).name, 'mobilenet_v2_0.35_96');
  assert.equal(buildGraph(createSpec('mobilenet_v1_025_128')).name, 'mobilenet_v1_0.25_128');
  assert.doesNotThrow(() => createSpec('mobilenet_v2_140_224', { alpha: 1.4 }), 'the name’s α equals the decimal one exactly');
  for (const name of ['mobilenet_v2_35_96', 'mobilenet_v1_05_128', 'mobilenet_v2_10_224', 'mobilenet_v2_0350_96']) {
    assert.throws(() => parseModelName(name), (err: unknown) => {
      assert.ok(err instanceof MobileNetError && err.code === 'UNKNOWN_MODEL', String(err));
      assert.match(err.message, /is ambiguous; write α with a decimal point \(mobilenet_v2_0\.35_96.*three digits in hundredths \(mobilenet_v2_035_96/);
      return true;
    }, name);
  }
});

test('feature taps: V2 [16, 24, 32, 96, 320] and V1 [64, 128, 256, 512, 1024] at α = 1', () => {
  assert.deepEqual(buildGraph(createSpec('mobilenet_v2')).taps.map((t) => t.channels), [16, 24, 32, 96, 320]);
  assert.deepEqual(buildGraph(createSpec('mobilenet_v1')).taps.map((t) => t.channels), [64, 128, 256, 512, 1024]);
});

test('output stride 16 and 8: later strides become dilations (slim semantics)', () => {
  for (const arch of ['mobilenet_v1', 'mobilenet_v2'] as const) {
    for (const os of [8, 16] as const) {
      const graph = buildGraph(buildSpec(arch, { outputStride: os, resolution: 224 }));
      const spatial = graph.nodes.filter((n) => n.shape.length === 3);
      assert.equal(Math.max(...spatial.map((n) => n.outputStride)), os);
      assert.deepEqual(graph.nodes.find((n) => n.name === graph.outputs.features)!.shape.slice(0, 2), [224 / os, 224 / os]);
      assert.deepEqual(graph.taps.map((t) => t.reduction), os === 16 ? [2, 4, 8, 16] : [2, 4, 8]);
      // Every depthwise conv after the target stride is dilated, the converted one itself is not.
      const dws = graph.nodes.filter((n) => n.op === 'depthwiseConv2d');
      const firstDilated = dws.findIndex((n) => n.op === 'depthwiseConv2d' && n.attrs.dilation[0] > 1);
      assert.ok(firstDilated > 0);
      const before = dws[firstDilated - 1]!;
      assert.equal(before.op === 'depthwiseConv2d' && before.attrs.stride[0], 1);
      // 'same' padding with dilation d pads d on each side at stride 1.
      for (const n of dws.slice(firstDilated)) {
        if (n.op === 'depthwiseConv2d') assert.equal(n.attrs.padding.top, n.attrs.dilation[0]);
      }
    }
  }
  // Dilation doubles at each converted stride: V2 at OS 8 reaches rate 4 in the last stage.
  const v2 = buildGraph(buildSpec('mobilenet_v2', { outputStride: 8 }));
  const rates = v2.nodes.filter((n) => n.op === 'depthwiseConv2d').map((n) => (n.op === 'depthwiseConv2d' ? n.attrs.dilation[0] : 0));
  // Block 6 is the first converted one (stride 1, rate 1); block 13 converts again at rate 2.
  assert.deepEqual(rates, [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 4, 4, 4]);
});

test('padding conventions: symmetric, TF same and Keras V1 explicit padding', () => {
  const pads = (name: string, options: object, resolution: number) =>
    buildGraph(createSpec(name, { ...options, resolution })).nodes.find((n) => n.name === 'stem.conv')!;
  const tv = pads('mobilenet_v2', { convention: 'torchvision' }, 224);
  assert.ok(tv.op === 'conv2d');
  assert.deepEqual(tv.attrs.padding, { top: 1, bottom: 1, left: 1, right: 1 });
  const tf = pads('mobilenet_v2', { convention: 'keras' }, 224);
  assert.ok(tf.op === 'conv2d');
  assert.deepEqual(tf.attrs.padding, { top: 0, bottom: 1, left: 0, right: 1 });
  assert.deepEqual(tf.shape, [112, 112, 32]);
  // Odd input: TF 'same' pads 1/1; Keras' V1 pads its stride-2 depthwise convs (0, 1) by hand,
  // which yields one pixel fewer, while its stem is a 'same' Conv2D (keras/src/applications/mobilenet.py).
  const odd = pads('mobilenet_v2', { convention: 'slim' }, 225);
  assert.ok(odd.op === 'conv2d');
  assert.deepEqual(odd.attrs.padding, { top: 1, bottom: 1, left: 1, right: 1 });
  assert.deepEqual(odd.shape, [113, 113, 32]);
  const kerasV1 = pads('mobilenet_v1', { convention: 'keras' }, 225);
  assert.ok(kerasV1.op === 'conv2d');
  assert.deepEqual(kerasV1.attrs.padding, { top: 1, bottom: 1, left: 1, right: 1 });
  assert.deepEqual(kerasV1.shape, [113, 113, 32]);
  const kerasDw = buildGraph(createSpec('mobilenet_v1', { convention: 'keras', resolution: 225 })).nodes.find((n) => n.name === 'blocks.1.dw.conv')!;
  assert.ok(kerasDw.op === 'depthwiseConv2d');
  assert.deepEqual(kerasDw.attrs.padding, { top: 0, bottom: 1, left: 0, right: 1 });
  assert.deepEqual(kerasDw.shape, [56, 56, 64]);
  // Non-square input.
  const rect = buildGraph(createSpec('mobilenet_v2', { resolution: { height: 160, width: 96 } }));
  assert.deepEqual(rect.taps.at(-1)!.shape, [5, 3, 320]);
});

test('V2 blocks: residual exactly where stride is 1 and channels match; linear bottleneck', () => {
  const graph = buildGraph(createSpec('mobilenet_v2'));
  const adds = graph.nodes.filter((n) => n.op === 'add').map((n) => n.name);
  assert.deepEqual(adds, [2, 4, 5, 7, 8, 9, 11, 12, 14, 15].map((i) => `blocks.${i}.add`));
  // No activation follows a projection.
  graph.nodes.forEach((node, i) => {
    if (node.name.endsWith('.project.bn')) assert.notEqual(graph.nodes[i + 1]?.op, 'activation');
  });
  assert.equal(graph.nodes.filter((n) => n.op === 'activation').length, 1 + 16 * 2 + 1 + 1);
});

test('V2 activation option: ReLU6 by default, ReLU everywhere the paper has ReLU6 when asked; projections stay linear', () => {
  const fns = (options: object) => {
    const graph = buildGraph(createSpec('mobilenet_v2', options));
    return graph.nodes.filter((n) => n.op === 'activation').map((n) => (n.attrs as { fn: string }).fn);
  };
  // It was accepted, recorded in the spec and the metadata, and ignored (the graph kept ReLU6).
  assert.deepEqual(new Set(fns({})), new Set(['relu6']));
  const relu = fns({ activation: 'relu' });
  assert.deepEqual(new Set(relu), new Set(['relu']));
  assert.equal(relu.length, 1 + 16 * 2 + 1 + 1);
});

test('V1 conventions: Keras truncates, slim keeps minDepth, depth multiplier widens depthwise', () => {
  const v1 = (options: object) => buildSpec('mobilenet_v1', options);
  assert.equal(v1({ alpha: 0.1, convention: 'slim' }).stem.outChannels, 8);
  assert.equal(v1({ alpha: 0.2, convention: 'keras' }).stem.outChannels, 6);
  const dm = buildGraph(v1({ depthMultiplier: 2 }));
  const dw0 = dm.nodes.find((n) => n.name === 'blocks.0.dw.conv')!;
  assert.ok(dw0.op === 'depthwiseConv2d');
  assert.equal(dw0.attrs.multiplier, 2);
  assert.deepEqual(dw0.shape, [112, 112, 64]);
  const full = v1({ separable: false });
  assert.ok(full.arch === 'mobilenet_v1' && full.blocks.every((b) => !b.separable));
});

test('V2 options: expansion override, custom table, finegrain and explicit last channels', () => {
  const spec = mobilenetV2Spec({ expansion: 4 });
  assert.deepEqual([...new Set(spec.blocks.map((b) => b.expansion))], [1, 4]);
  assert.equal(spec.blocks[1]!.expandedChannels, 16 * 4);
  const custom = mobilenetV2Spec({ blocks: [{ t: 1, c: 16, n: 1, s: 1 }, { t: 6, c: 24, n: 2, s: 2 }] });
  assert.equal(custom.blocks.length, 3);
  assert.equal(mobilenetV2Spec({ alpha: 0.5 }).lastConv.outChannels, 1280);
  assert.equal(mobilenetV2Spec({ alpha: 0.5, convention: 'slim', finegrain: false }).lastConv.outChannels, 640);
  assert.equal(mobilenetV2Spec({ lastChannels: 1024 }).lastConv.outChannels, 1024);
  assert.equal(mobilenetV2Spec({ alpha: 1.4 }).lastConv.outChannels, 1792);
});

test('includeTop false: pooling avg, max or none; no classifier', () => {
  for (const pooling of ['avg', 'max', 'none'] as const) {
    const graph = buildGraph(createSpec('mobilenet_v2', { includeTop: false, pooling }));
    assert.equal(graph.outputs.logits, undefined);
    assert.equal(graph.nodes.some((n) => n.op === 'dense'), false);
    assert.equal(graph.outputs.embedding !== undefined, pooling !== 'none');
  }
});

test('activation memory: V2-224 largest tensor is the 112×112×96 expansion', () => {
  const { memory } = graphCost(buildGraph(createSpec('mobilenet_v2')));
  assert.equal(memory.largestTensorElements, 112 * 112 * 96);
  assert.equal(memory.largestTensorBytes.fp16, 112 * 112 * 96 * 2);
  // Block 1's depthwise conv reads the 112×112×96 expansion while writing its 56×56×96 output.
  assert.equal(memory.peakActivationElements, 112 * 112 * 96 + 56 * 56 * 96);
  const v1 = graphCost(buildGraph(createSpec('mobilenet_v1'))).memory;
  assert.equal(v1.largestTensorElements, 112 * 112 * 64);
  assert.equal(v1.peakActivationElements, 112 * 112 * (32 + 64));
});

test('bad options are refused with a message naming the value', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => createSpec('mobilenet_v3'), /unknown model 'mobilenet_v3'/],
    [() => createSpec('mobilenet_v2', { alpha: 0 }), /alpha must be a positive number, got 0/],
    [() => createSpec('mobilenet_v2', { alpha: Number.NaN }), /alpha must be a positive number, got NaN/],
    [() => createSpec('mobilenet_v2', { alpha: '1' as unknown as number }), /alpha must be a positive number, got '1'/],
    [() => createSpec('mobilenet_v2', { resolution: 31 }), /resolution must be an integer ≥ 32, got 31/],
    [() => createSpec('mobilenet_v2', { resolution: 224.5 }), /resolution must be an integer ≥ 32, got 224.5/],
    [() => createSpec('mobilenet_v2', { outputStride: 4 as 8 }), /outputStride must be one of 8, 16, 32, got 4/],
    [() => createSpec('mobilenet_v2', { alhpa: 1 } as object), /unknown option 'alhpa'/],
    [() => createSpec('mobilenet_v2', { depthMultiplier: 2 }), /unknown option 'depthMultiplier' for mobilenet_v2/],
    [() => createSpec('mobilenet_v2_0.35_96', { alpha: 0.5 }), /alpha 0.5 contradicts the model name/],
    [() => createSpec('mobilenet_v2', { classes: 0 }), /classes must be an integer ≥ 1, got 0/],
    [() => createSpec('mobilenet_v2', { convention: 'caffe' as 'slim' }), /convention must be one of torchvision, keras, slim, got 'caffe'/],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (err: Error & { code?: string }) => {
      assert.match(err.message, message);
      assert.ok(err.code === 'INVALID_ARGUMENT' || err.code === 'UNKNOWN_MODEL');
      return true;
    });
  }
});
