/**
 * The cost model: multiply-adds as the papers count them, parameters in four conventions,
 * activation memory, and the breakdown by layer type of MobileNetV1's Table 2.
 */
import { shapeSize } from '../tensor.js';
import type { Graph } from './build.js';
import { isElementwise, nodeParams, type GraphNode, type TensorShape } from './ops.js';

/**
 * - weights: conv and FC kernels only (the MobileNetV1 paper's Table 2).
 * - noBN: kernels and biases (TF-slim's checkpoint tables).
 * - trainable: noBN + BN γ and β (torchvision's and Keras' trainable count).
 * - all: trainable + BN moving mean and variance (Keras' total).
 */
export interface ParamCounts {
  weights: number;
  noBN: number;
  trainable: number;
  all: number;
}

export type LayerType = 'conv1x1' | 'depthwise' | 'conv' | 'fc' | 'other';
export const LAYER_TYPE_LABELS: Readonly<Record<LayerType, string>> = {
  conv1x1: 'Conv 1×1',
  depthwise: 'Conv DW',
  conv: 'Conv k×k',
  fc: 'FC',
  other: 'BN, activation, add, pool',
};

export interface LayerCost {
  name: string;
  op: GraphNode['op'];
  /** A short human description: 'conv 3×3 s2', 'dw 3×3 s1 d2', 'pw 1×1', 'relu6', … */
  description: string;
  type: LayerType;
  inputShape: TensorShape;
  outputShape: TensorShape;
  macs: number;
  params: ParamCounts;
}

export interface TypeShare {
  macs: number;
  params: ParamCounts;
  /** Percent of the network's MACs and of its kernel weights (the paper's Table 2 basis). */
  macsPercent: number;
  weightsPercent: number;
}

export interface MemoryCost {
  /** Elements of the largest tensor that must be materialized (input included). */
  largestTensorElements: number;
  /** Elements alive at the worst moment of a plain layer-by-layer schedule (BN, activation, add in place). */
  peakActivationElements: number;
  largestTensorBytes: { fp32: number; fp16: number };
  peakActivationBytes: { fp32: number; fp16: number };
}

export interface GraphCost {
  layers: LayerCost[];
  totals: { macs: number; params: ParamCounts };
  byType: Record<LayerType, TypeShare>;
  memory: MemoryCost;
}

export function emptyParams(): ParamCounts {
  return { weights: 0, noBN: 0, trainable: 0, all: 0 };
}

function addParams(into: ParamCounts, p: ParamCounts): void {
  into.weights += p.weights;
  into.noBN += p.noBN;
  into.trainable += p.trainable;
  into.all += p.all;
}

export function nodeParamCounts(node: GraphNode): ParamCounts {
  const counts = emptyParams();
  for (const param of nodeParams(node)) {
    const n = shapeSize(param.shape);
    counts.all += n;
    if (param.kind === 'movingMean' || param.kind === 'movingVariance') continue;
    counts.trainable += n;
    if (param.kind === 'gamma' || param.kind === 'beta') continue;
    counts.noBN += n;
    if (param.kind === 'weight') counts.weights += n;
  }
  return counts;
}

/** Multiply-adds of one node: k·k·(Cin/groups)·Cout·Hout·Wout for convs, in·out for FC, 0 otherwise. */
export function nodeMacs(node: GraphNode): number {
  const [h = 1, w = 1] = node.shape;
  switch (node.op) {
    case 'conv2d': {
      const a = node.attrs;
      return a.kernel[0] * a.kernel[1] * (a.inChannels / a.groups) * a.outChannels * h * w;
    }
    case 'depthwiseConv2d': {
      const a = node.attrs;
      return a.kernel[0] * a.kernel[1] * a.channels * a.multiplier * h * w;
    }
    case 'pointwiseConv2d':
      return node.attrs.inChannels * node.attrs.outChannels * h * w;
    case 'dense':
      return node.attrs.inFeatures * node.attrs.outFeatures;
    default:
      return 0;
  }
}

export function layerType(node: GraphNode): LayerType {
  switch (node.op) {
    case 'pointwiseConv2d':
      return 'conv1x1';
    case 'depthwiseConv2d':
      return 'depthwise';
    case 'conv2d':
      return node.attrs.kernel[0] === 1 && node.attrs.kernel[1] === 1 && node.attrs.groups === 1 ? 'conv1x1' : 'conv';
    case 'dense':
      return 'fc';
    default:
      return 'other';
  }
}

function describeNode(node: GraphNode): string {
  const spatial = (a: { kernel: readonly number[]; stride: readonly number[]; dilation: readonly number[] }): string =>
    `${a.kernel[0]}×${a.kernel[1]} s${a.stride[0]}${a.dilation[0] > 1 ? ` d${a.dilation[0]}` : ''}`;
  switch (node.op) {
    case 'conv2d':
      return `conv ${spatial(node.attrs)}${node.attrs.groups > 1 ? ` g${node.attrs.groups}` : ''}`;
    case 'depthwiseConv2d':
      return `dw ${spatial(node.attrs)}${node.attrs.multiplier > 1 ? ` ×${node.attrs.multiplier}` : ''}`;
    case 'pointwiseConv2d':
      return node.role === 'pw-linear' ? 'pw 1×1 linear' : 'pw 1×1';
    case 'batchNorm':
      return 'batch norm';
    case 'activation':
      return node.attrs.fn;
    case 'add':
      return 'add';
    case 'globalPool':
      return `global ${node.attrs.kind} pool`;
    case 'dropout':
      return `dropout ${node.attrs.rate}`;
    case 'dense':
      return 'fc';
  }
}

export function graphCost(graph: Graph): GraphCost {
  const shapes = new Map<string, TensorShape>([[graph.input.name, graph.input.shape]]);
  const layers: LayerCost[] = [];
  const totals = { macs: 0, params: emptyParams() };
  const byType = {} as Record<LayerType, TypeShare>;
  for (const t of Object.keys(LAYER_TYPE_LABELS) as LayerType[]) {
    byType[t] = { macs: 0, params: emptyParams(), macsPercent: 0, weightsPercent: 0 };
  }
  for (const node of graph.nodes) {
    const macs = nodeMacs(node);
    const params = nodeParamCounts(node);
    const type = layerType(node);
    layers.push({
      name: node.name,
      op: node.op,
      description: describeNode(node),
      type,
      inputShape: shapes.get(node.inputs[0]!)!,
      outputShape: node.shape,
      macs,
      params,
    });
    shapes.set(node.name, node.shape);
    totals.macs += macs;
    addParams(totals.params, params);
    byType[type].macs += macs;
    addParams(byType[type].params, params);
  }
  for (const share of Object.values(byType)) {
    share.macsPercent = totals.macs ? (100 * share.macs) / totals.macs : 0;
    share.weightsPercent = totals.params.weights ? (100 * share.params.weights) / totals.params.weights : 0;
  }
  return { layers, totals, byType, memory: activationMemory(graph) };
}

/**
 * Activation memory of a plain layer-by-layer schedule (batch 1): every conv, pool and FC writes a
 * new buffer; BN, activation, dropout and add write into their first input when nothing later reads
 * it; a buffer is freed after its last reader. The peak counts inputs and output of the running
 * layer plus everything kept for later (the residual shortcuts).
 */
export function activationMemory(graph: Graph): MemoryCost {
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((node, i) => node.inputs.forEach((name) => lastUse.set(name, i)));
  const keep = new Set(Object.values(graph.outputs).filter((x): x is string => x !== undefined));

  const bufferOf = new Map<string, string>(); // tensor name → buffer id
  const bufferSize = new Map<string, number>();
  const bufferTensors = new Map<string, string[]>();
  const inputSize = shapeSize(graph.input.shape);
  bufferOf.set(graph.input.name, graph.input.name);
  bufferSize.set(graph.input.name, inputSize);
  bufferTensors.set(graph.input.name, [graph.input.name]);
  let live = inputSize;
  let peak = inputSize;
  let largest = inputSize;

  graph.nodes.forEach((node, i) => {
    const size = shapeSize(node.shape);
    const first = node.inputs[0]!;
    const firstBuffer = bufferOf.get(first)!;
    const inPlace = isElementwise(node.op) && lastUse.get(first) === i && !keep.has(first) &&
      bufferTensors.get(firstBuffer)!.every((t) => (lastUse.get(t) ?? -1) <= i && !keep.has(t));
    if (inPlace) {
      bufferOf.set(node.name, firstBuffer);
      bufferTensors.get(firstBuffer)!.push(node.name);
    } else {
      bufferOf.set(node.name, node.name);
      bufferSize.set(node.name, size);
      bufferTensors.set(node.name, [node.name]);
      live += size;
      largest = Math.max(largest, size);
    }
    peak = Math.max(peak, live);
    // Free buffers none of whose tensors is read after this node or kept as an output.
    for (const [buffer, tensors] of bufferTensors) {
      if (tensors.every((t) => (lastUse.get(t) ?? -1) <= i && !keep.has(t)) && buffer !== bufferOf.get(node.name)) {
        live -= bufferSize.get(buffer)!;
        bufferTensors.delete(buffer);
      }
    }
  });
  return {
    largestTensorElements: largest,
    peakActivationElements: peak,
    largestTensorBytes: { fp32: largest * 4, fp16: largest * 2 },
    peakActivationBytes: { fp32: peak * 4, fp16: peak * 2 },
  };
}
