/**
 * spec → graph. One small builder appends nodes and tracks the current tensor; the two
 * architectures are each one loop over their spec's blocks.
 */
import { MobileNetError } from '../errors.js';
import type { ActivationFn, ConvLayerSpec, MobileNetV1Spec, MobileNetV2Spec, ModelSpec, PaddingRule } from '../spec/types.js';
import { specName } from '../spec/registry.js';
import type { GraphNode, TensorShape } from './ops.js';
import { pad1d } from './padding.js';

export const INPUT_NAME = 'input';

/** A backbone output for dense prediction: the last block output at a given reduction. */
export interface FeatureTap {
  /** Reduction relative to the input: 2, 4, 8, 16 or 32. */
  reduction: number;
  node: string;
  channels: number;
  shape: TensorShape;
}

export interface Graph {
  name: string;
  /** The architecture the graph was built from; absent for imported graphs (e.g. from ONNX). */
  spec?: ModelSpec;
  input: { name: string; shape: TensorShape };
  /** In execution (topological) order. */
  nodes: GraphNode[];
  outputs: {
    /** The classifier output (before softmax), when the spec includes the top. */
    logits?: string;
    /** The pooled feature vector, when the graph pools. */
    embedding?: string;
    /** The last feature map. */
    features: string;
  };
  /** Outputs at reductions 2…32 (timm's feature_info), only those the output stride reaches. */
  taps: FeatureTap[];
}

interface Cursor {
  name: string;
  shape: TensorShape;
  stride: number;
}

class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  cursor: Cursor;

  constructor(
    readonly spec: ModelSpec,
    inputShape: TensorShape,
  ) {
    this.cursor = { name: INPUT_NAME, shape: inputShape, stride: 1 };
  }

  private push(node: GraphNode): Cursor {
    this.nodes.push(node);
    this.cursor = { name: node.name, shape: node.shape, stride: node.outputStride };
    return this.cursor;
  }

  private spatial(kernel: number, stride: number, dilation: number, rule: PaddingRule = this.spec.padding) {
    const [h, w] = this.cursor.shape as [number, number, number];
    const ph = pad1d(rule, h, kernel, stride, dilation);
    const pw = pad1d(rule, w, kernel, stride, dilation);
    return {
      padding: { top: ph.before, bottom: ph.after, left: pw.before, right: pw.after },
      outH: ph.out,
      outW: pw.out,
    };
  }

  conv(name: string, layer: ConvLayerSpec, role: string): void {
    // Keras pads only its stride-2 depthwise convs by hand; its full convs (the stem) use 'same'.
    const rule = this.spec.padding === 'keras-v1' ? 'same' : this.spec.padding;
    const { padding, outH, outW } = this.spatial(layer.kernel, layer.stride, layer.dilation, rule);
    this.push({
      op: 'conv2d',
      name,
      role,
      inputs: [this.cursor.name],
      attrs: {
        kernel: [layer.kernel, layer.kernel],
        stride: [layer.stride, layer.stride],
        dilation: [layer.dilation, layer.dilation],
        padding,
        inChannels: layer.inChannels,
        outChannels: layer.outChannels,
        groups: 1,
        bias: false,
      },
      shape: [outH, outW, layer.outChannels],
      outputStride: this.cursor.stride * layer.stride,
    });
  }

  depthwise(name: string, channels: number, multiplier: number, stride: number, dilation: number, role: string): void {
    const { padding, outH, outW } = this.spatial(3, stride, dilation);
    this.push({
      op: 'depthwiseConv2d',
      name,
      role,
      inputs: [this.cursor.name],
      attrs: {
        kernel: [3, 3],
        stride: [stride, stride],
        dilation: [dilation, dilation],
        padding,
        channels,
        multiplier,
        bias: false,
      },
      shape: [outH, outW, channels * multiplier],
      outputStride: this.cursor.stride * stride,
    });
  }

  pointwise(name: string, inChannels: number, outChannels: number, role: string): void {
    const [h, w] = this.cursor.shape as [number, number, number];
    this.push({
      op: 'pointwiseConv2d',
      name,
      role,
      inputs: [this.cursor.name],
      attrs: { inChannels, outChannels, bias: false },
      shape: [h, w, outChannels],
      outputStride: this.cursor.stride,
    });
  }

  batchNorm(name: string, role: string): void {
    const channels = this.cursor.shape[this.cursor.shape.length - 1]!;
    this.push({
      op: 'batchNorm',
      name,
      role,
      inputs: [this.cursor.name],
      attrs: { channels, epsilon: this.spec.batchNormEpsilon, decay: this.spec.batchNormDecay },
      shape: this.cursor.shape,
      outputStride: this.cursor.stride,
    });
  }

  activation(name: string, fn: ActivationFn, role: string): void {
    this.push({
      op: 'activation',
      name,
      role,
      inputs: [this.cursor.name],
      attrs: { fn },
      shape: this.cursor.shape,
      outputStride: this.cursor.stride,
    });
  }

  /** conv (any of the three kinds, already pushed by `emit`) + BN + optional activation. */
  convBnAct(prefix: string, emit: (name: string) => void, fn: ActivationFn, role: string): void {
    emit(`${prefix}.conv`);
    this.batchNorm(`${prefix}.bn`, role);
    if (fn !== 'linear') this.activation(`${prefix}.act`, fn, role);
  }

  add(name: string, shortcut: Cursor, role: string): void {
    this.push({
      op: 'add',
      name,
      role,
      inputs: [this.cursor.name, shortcut.name],
      attrs: {},
      shape: this.cursor.shape,
      outputStride: this.cursor.stride,
    });
  }

  head(features: string): Graph['outputs'] {
    const spec = this.spec;
    const outputs: Graph['outputs'] = { features };
    if (spec.pooling !== 'none') {
      const channels = this.cursor.shape[2]!;
      this.push({
        op: 'globalPool',
        name: 'pool',
        role: 'pool',
        inputs: [this.cursor.name],
        attrs: { kind: spec.pooling },
        shape: [channels],
        outputStride: this.cursor.stride,
      });
      outputs.embedding = 'pool';
    }
    if (spec.includeTop) {
      const inFeatures = this.cursor.shape[0]!;
      if (spec.head.dropout > 0) {
        this.push({
          op: 'dropout',
          name: 'dropout',
          role: 'classifier',
          inputs: [this.cursor.name],
          attrs: { rate: spec.head.dropout },
          shape: this.cursor.shape,
          outputStride: this.cursor.stride,
        });
      }
      this.push({
        op: 'dense',
        name: 'classifier',
        role: 'classifier',
        inputs: [this.cursor.name],
        attrs: { inFeatures, outFeatures: spec.head.classes, bias: true },
        shape: [spec.head.classes],
        outputStride: this.cursor.stride,
      });
      outputs.logits = 'classifier';
    }
    return outputs;
  }
}

function buildV1(b: GraphBuilder, spec: MobileNetV1Spec, blockEnds: Cursor[]): string {
  const act = spec.activation;
  b.convBnAct('stem', (name) => b.conv(name, spec.stem, 'stem'), act, 'stem');
  blockEnds.push(b.cursor);
  spec.blocks.forEach((block, i) => {
    const prefix = `blocks.${i}`;
    if (block.separable) {
      b.convBnAct(
        `${prefix}.dw`,
        (name) => b.depthwise(name, block.inChannels, block.depthwiseChannels / block.inChannels, block.stride, block.dilation, 'dw'),
        act,
        'dw',
      );
      b.convBnAct(`${prefix}.pw`, (name) => b.pointwise(name, block.depthwiseChannels, block.outChannels, 'pw'), act, 'pw');
    } else {
      const layer = { inChannels: block.inChannels, outChannels: block.outChannels, kernel: 3, stride: block.stride, dilation: block.dilation };
      b.convBnAct(prefix, (name) => b.conv(name, layer, 'conv'), act, 'conv');
    }
    blockEnds.push(b.cursor);
  });
  return b.cursor.name;
}

function buildV2(b: GraphBuilder, spec: MobileNetV2Spec, blockEnds: Cursor[]): string {
  const act = spec.activation; // ReLU6 unless asked otherwise (the paper's and every published weight set's)
  b.convBnAct('stem', (name) => b.conv(name, spec.stem, 'stem'), act, 'stem');
  blockEnds.push(b.cursor);
  spec.blocks.forEach((block, i) => {
    const prefix = `blocks.${i}`;
    const shortcut = b.cursor;
    if (block.expansion !== 1) {
      b.convBnAct(`${prefix}.expand`, (name) => b.pointwise(name, block.inChannels, block.expandedChannels, 'pw'), act, 'pw');
    }
    b.convBnAct(`${prefix}.dw`, (name) => b.depthwise(name, block.expandedChannels, 1, block.stride, block.dilation, 'dw'), act, 'dw');
    // The linear bottleneck: no activation after the projection (paper §3.2).
    b.convBnAct(`${prefix}.project`, (name) => b.pointwise(name, block.expandedChannels, block.outChannels, 'pw-linear'), 'linear', 'pw-linear');
    if (block.residual) b.add(`${prefix}.add`, shortcut, 'residual');
    blockEnds.push(b.cursor);
  });
  // The last 1×1 conv to 1280 channels is a pointwise conv like the others.
  b.convBnAct('head', (name) => b.pointwise(name, spec.lastConv.inChannels, spec.lastConv.outChannels, 'head'), act, 'head');
  return b.cursor.name;
}

/** Build the graph of a spec: nodes with resolved padding and shapes, outputs and feature taps. */
export function buildGraph(spec: ModelSpec): Graph {
  const inputShape: TensorShape = [spec.height, spec.width, 3];
  const b = new GraphBuilder(spec, inputShape);
  const blockEnds: Cursor[] = [];
  const features = spec.arch === 'mobilenet_v1' ? buildV1(b, spec, blockEnds) : buildV2(b, spec, blockEnds);
  const outputs = b.head(features);

  const taps: FeatureTap[] = [];
  for (const reduction of [2, 4, 8, 16, 32]) {
    let last: Cursor | undefined;
    for (const end of blockEnds) if (end.stride === reduction) last = end;
    if (last) taps.push({ reduction, node: last.name, channels: last.shape[2]!, shape: last.shape });
  }
  const graph: Graph = { name: specName(spec), spec, input: { name: INPUT_NAME, shape: inputShape }, nodes: b.nodes, outputs, taps };
  checkGraph(graph);
  return graph;
}

/** Shape inference check: every node's inputs exist, come earlier and have the shape it expects. */
export function checkGraph(graph: Graph): void {
  const shapes = new Map<string, TensorShape>([[graph.input.name, graph.input.shape]]);
  const fail = (node: GraphNode, what: string): never => {
    throw new MobileNetError('INTERNAL', `graph ${graph.name}: node ${node.name} (${node.op}): ${what}`);
  };
  for (const node of graph.nodes) {
    if (shapes.has(node.name)) fail(node, 'duplicate name');
    const inputs = node.inputs.map((name) => shapes.get(name) ?? fail(node, `input ${name} is not defined before it`));
    const x = inputs[0]!;
    const channels = x[x.length - 1];
    switch (node.op) {
      case 'conv2d':
        if (channels !== node.attrs.inChannels) fail(node, `expects ${node.attrs.inChannels} input channels, gets ${channels}`);
        break;
      case 'depthwiseConv2d':
        if (channels !== node.attrs.channels) fail(node, `expects ${node.attrs.channels} input channels, gets ${channels}`);
        break;
      case 'pointwiseConv2d':
        if (channels !== node.attrs.inChannels) fail(node, `expects ${node.attrs.inChannels} input channels, gets ${channels}`);
        break;
      case 'dense':
        if (x.length !== 1 || channels !== node.attrs.inFeatures) fail(node, `expects [${node.attrs.inFeatures}], gets [${x.join(', ')}]`);
        break;
      case 'batchNorm':
        if (channels !== node.attrs.channels) fail(node, `expects ${node.attrs.channels} channels, gets ${channels}`);
        break;
      case 'add':
        if (inputs.length !== 2 || inputs[1]!.join() !== x.join()) fail(node, 'adds tensors of different shapes');
        break;
      default:
        break;
    }
    shapes.set(node.name, node.shape);
  }
}
