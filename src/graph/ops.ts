/**
 * The graph's operators: a discriminated union on `op` with typed attributes. Layouts are NHWC and
 * TensorFlow-style weight layouts, which the io name maps convert to and from:
 * conv2d (kh, kw, Cin/groups, Cout) · depthwiseConv2d (kh, kw, C, multiplier) ·
 * pointwiseConv2d (Cin, Cout) · dense (in, out).
 */
import type { ActivationFn } from '../spec/types.js';

/** Per-example shape: [H, W, C] for feature maps, [C] after global pooling. */
export type TensorShape = readonly number[];

export interface Padding4 {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export interface Conv2dAttrs {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  dilation: readonly [number, number];
  padding: Padding4;
  inChannels: number;
  outChannels: number;
  groups: number;
  bias: boolean;
}

export interface DepthwiseConv2dAttrs {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  dilation: readonly [number, number];
  padding: Padding4;
  channels: number;
  multiplier: number;
  bias: boolean;
}

export interface PointwiseConv2dAttrs {
  inChannels: number;
  outChannels: number;
  bias: boolean;
}

export interface BatchNormAttrs {
  channels: number;
  epsilon: number;
  /** TF convention: running = decay·running + (1 − decay)·batch. */
  decay: number;
}

export interface ActivationAttrs {
  fn: ActivationFn;
}

export interface GlobalPoolAttrs {
  kind: 'avg' | 'max';
}

export interface DropoutAttrs {
  rate: number;
}

export interface DenseAttrs {
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
}

interface NodeOf<Op extends string, Attrs> {
  op: Op;
  /** Stable, hierarchical: `blocks.3.expand.conv`. Parameter names are `<node name>.<param key>`. */
  name: string;
  /** Names of producing nodes, or the graph input's name. */
  inputs: string[];
  attrs: Attrs;
  /** Output shape per example. */
  shape: TensorShape;
  /** Cumulative stride of the output relative to the input image. */
  outputStride: number;
  /** The paper's label for the part: 'pw', 'dw', 'pw-linear', 'stem', 'head', … */
  role?: string;
}

export type Conv2dNode = NodeOf<'conv2d', Conv2dAttrs>;
export type DepthwiseConv2dNode = NodeOf<'depthwiseConv2d', DepthwiseConv2dAttrs>;
export type PointwiseConv2dNode = NodeOf<'pointwiseConv2d', PointwiseConv2dAttrs>;
export type BatchNormNode = NodeOf<'batchNorm', BatchNormAttrs>;
export type ActivationNode = NodeOf<'activation', ActivationAttrs>;
export type AddNode = NodeOf<'add', Record<string, never>>;
export type GlobalPoolNode = NodeOf<'globalPool', GlobalPoolAttrs>;
export type DropoutNode = NodeOf<'dropout', DropoutAttrs>;
export type DenseNode = NodeOf<'dense', DenseAttrs>;

export type GraphNode =
  | Conv2dNode
  | DepthwiseConv2dNode
  | PointwiseConv2dNode
  | BatchNormNode
  | ActivationNode
  | AddNode
  | GlobalPoolNode
  | DropoutNode
  | DenseNode;

export type OpType = GraphNode['op'];

/** What a parameter is for; the cost model and optimizers (weight decay rules) key on this. */
export type ParamKind = 'weight' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance';

export interface ParamSpec {
  /** `<node name>.<kind>`, e.g. `blocks.3.dw.conv.weight`. */
  name: string;
  kind: ParamKind;
  shape: readonly number[];
}

/** The parameters a node owns, in a fixed order. */
export function nodeParams(node: GraphNode): ParamSpec[] {
  const p = (kind: ParamKind, shape: readonly number[]): ParamSpec => ({ name: `${node.name}.${kind}`, kind, shape });
  switch (node.op) {
    case 'conv2d': {
      const a = node.attrs;
      const params = [p('weight', [a.kernel[0], a.kernel[1], a.inChannels / a.groups, a.outChannels])];
      if (a.bias) params.push(p('bias', [a.outChannels]));
      return params;
    }
    case 'depthwiseConv2d': {
      const a = node.attrs;
      const params = [p('weight', [a.kernel[0], a.kernel[1], a.channels, a.multiplier])];
      if (a.bias) params.push(p('bias', [a.channels * a.multiplier]));
      return params;
    }
    case 'pointwiseConv2d': {
      const a = node.attrs;
      const params = [p('weight', [a.inChannels, a.outChannels])];
      if (a.bias) params.push(p('bias', [a.outChannels]));
      return params;
    }
    case 'dense': {
      const a = node.attrs;
      const params = [p('weight', [a.inFeatures, a.outFeatures])];
      if (a.bias) params.push(p('bias', [a.outFeatures]));
      return params;
    }
    case 'batchNorm': {
      const c = [node.attrs.channels];
      return [p('gamma', c), p('beta', c), p('movingMean', c), p('movingVariance', c)];
    }
    case 'activation':
    case 'add':
    case 'globalPool':
    case 'dropout':
      return [];
  }
}

/** Ops that can run in place on their first input (for memory accounting and the planner). */
export function isElementwise(op: OpType): boolean {
  return op === 'batchNorm' || op === 'activation' || op === 'dropout' || op === 'add';
}
