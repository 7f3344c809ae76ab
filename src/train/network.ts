/**
 * A graph in training mode: forward with batch statistics and dropout, backward through every
 * node with the reference kernels' gradients. Parameters (BN moving statistics included) live in
 * one `Weights` map that the optimizer updates in place; gradients in another with the same names.
 */
import { MobileNetError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import type { GraphNode, TensorShape } from '../graph/ops.js';
import * as ref from '../kernels/ref/index.js';
import { shapeSize } from '../tensor.js';
import type { Weights } from '../runtime/weights.js';
import { nodeParams } from '../graph/ops.js';
import { conv2dDesc, depthwiseDesc } from '../runtime/descriptors.js';
import { hostBackward, hostForward } from './host-ops.js';

interface Saved {
  input?: Float32Array;
  output?: Float32Array;
  mean?: Float32Array;
  invStd?: Float32Array;
  mask?: Uint8Array;
}

export class TrainableNetwork {
  readonly graph: Graph;
  readonly params: Weights;
  /** When set, training-mode forwards update the BN moving statistics with this decay (precise BN). */
  batchNormDecayOverride: number | undefined = undefined;
  /** Gradients of the trainable parameters (no entries for BN moving statistics). */
  readonly grads = new Map<string, { data: Float32Array; shape: readonly number[] }>();
  private saved = new Map<string, Saved>();
  private batch = 0;
  private training = false;

  constructor(graph: Graph, params: Weights) {
    if (!graph.outputs.logits) throw new MobileNetError('INVALID_ARGUMENT', `${graph.name} has no classifier to train`);
    this.graph = graph;
    this.params = params;
    for (const node of graph.nodes) {
      for (const p of nodeParams(node)) {
        if (!params.has(p.name)) throw new MobileNetError('WEIGHTS_MISMATCH', `parameter ${p.name} is missing`);
        if (p.kind !== 'movingMean' && p.kind !== 'movingVariance') this.grads.set(p.name, { data: new Float32Array(shapeSize(p.shape)), shape: p.shape });
      }
    }
  }

  private p(name: string): Float32Array {
    return this.params.get(name)!.data;
  }

  zeroGrad(): void {
    for (const g of this.grads.values()) g.data.fill(0);
  }

  /**
   * Logits (N, classes) for an (N, H, W, 3) batch. In training mode BN uses batch statistics and
   * updates the moving averages, and dropout is active (drawing from `random`).
   */
  forward(x: Float32Array, training: boolean, random: () => number = Math.random): Float32Array {
    const g = this.graph;
    const per = shapeSize(g.input.shape);
    if (x.length === 0 || x.length % per !== 0) {
      throw new MobileNetError('SHAPE_MISMATCH', `input has ${x.length} values, expected (N, ${g.input.shape.join(', ')})`);
    }
    const batch = x.length / per;
    this.batch = batch;
    this.training = training;
    this.saved = new Map();
    const values = new Map<string, Float32Array>([[g.input.name, x]]);
    const shapes = new Map<string, TensorShape>([[g.input.name, g.input.shape]]);
    for (const node of g.nodes) {
      const input = values.get(node.inputs[0]!)!;
      const inShape = shapes.get(node.inputs[0]!)!;
      const out = this.forwardNode(node, input, inShape, values, random);
      values.set(node.name, out);
      shapes.set(node.name, node.shape);
    }
    return values.get(g.outputs.logits!)!;
  }

  private forwardNode(node: GraphNode, x: Float32Array, inShape: TensorShape, values: Map<string, Float32Array>, random: () => number): Float32Array {
    const batch = this.batch;
    const out = new Float32Array(batch * shapeSize(node.shape));
    const save = (s: Saved) => this.saved.set(node.name, s);
    const w = (k: string) => this.p(`${node.name}.${k}`);
    const bias = (k: string) => this.params.get(`${node.name}.${k}`)?.data ?? null;
    switch (node.op) {
      case 'conv2d':
        ref.conv2d(x, w('weight'), bias('bias'), out, conv2dDesc(node, inShape, batch));
        save({ input: x });
        break;
      case 'depthwiseConv2d':
        ref.depthwiseConv2d(x, w('weight'), bias('bias'), out, depthwiseDesc(node, inShape, batch));
        save({ input: x });
        break;
      case 'pointwiseConv2d':
        ref.pointwiseConv2d(x, w('weight'), bias('bias'), out, { pixels: batch * inShape[0]! * inShape[1]!, inChannels: node.attrs.inChannels, outChannels: node.attrs.outChannels });
        save({ input: x });
        break;
      case 'dense':
        ref.dense(x, w('weight'), bias('bias'), out, { batch, inFeatures: node.attrs.inFeatures, outFeatures: node.attrs.outFeatures });
        save({ input: x });
        break;
      case 'batchNorm': {
        const c = node.attrs.channels;
        const desc = { count: out.length / c, channels: c };
        if (this.training) {
          const mean = new Float32Array(c);
          const invStd = new Float32Array(c);
          const unbiasedVariance = new Float32Array(c);
          ref.batchNormTraining(x, out, { gamma: w('gamma'), beta: w('beta'), epsilon: node.attrs.epsilon }, { mean, invStd, unbiasedVariance }, desc);
          ref.updateRunningStats(w('movingMean'), w('movingVariance'), mean, unbiasedVariance, this.batchNormDecayOverride ?? node.attrs.decay);
          save({ input: x, mean, invStd });
        } else {
          ref.batchNormInference(x, out, { mean: w('movingMean'), variance: w('movingVariance'), gamma: w('gamma'), beta: w('beta'), epsilon: node.attrs.epsilon }, desc);
        }
        break;
      }
      case 'activation':
      case 'add':
      case 'globalPool':
      case 'dropout': {
        const mask = hostForward(node, x, out, { batch, inShape, training: this.training, random, other: node.op === 'add' ? values.get(node.inputs[1]!) : undefined });
        save({ input: x, output: out, mask });
        break;
      }
    }
    return out;
  }

  /** Back-propagate d(loss)/d(logits) (N, classes); parameter gradients are accumulated into `grads`. */
  backward(gradLogits: Float32Array): void {
    if (!this.training) throw new MobileNetError('INVALID_ARGUMENT', 'backward() needs a forward() in training mode first');
    const g = this.graph;
    const batch = this.batch;
    const gradsOf = new Map<string, Float32Array>([[g.outputs.logits!, gradLogits]]);
    const shapes = new Map<string, TensorShape>([[g.input.name, g.input.shape]]);
    for (const node of g.nodes) shapes.set(node.name, node.shape);
    const addGrad = (name: string, grad: Float32Array) => {
      if (name === g.input.name) return;
      const have = gradsOf.get(name);
      if (!have) gradsOf.set(name, grad);
      else for (let i = 0; i < have.length; i++) have[i]! += grad[i]!;
    };
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const node = g.nodes[i]!;
      const dy = gradsOf.get(node.name);
      if (!dy) continue; // does not reach the loss
      gradsOf.delete(node.name);
      const inShape = shapes.get(node.inputs[0]!)!;
      const s = this.saved.get(node.name) ?? {};
      const needInput = node.inputs[0] !== g.input.name;
      const dx = needInput ? new Float32Array(batch * shapeSize(inShape)) : null;
      const gw = (k: string) => this.grads.get(`${node.name}.${k}`)?.data ?? null;
      const w = (k: string) => this.p(`${node.name}.${k}`);
      switch (node.op) {
        case 'conv2d':
          ref.conv2dBackward(s.input!, w('weight'), dy, dx, gw('weight'), gw('bias'), conv2dDesc(node, inShape, batch));
          break;
        case 'depthwiseConv2d':
          ref.depthwiseConv2dBackward(s.input!, w('weight'), dy, dx, gw('weight'), gw('bias'), depthwiseDesc(node, inShape, batch));
          break;
        case 'pointwiseConv2d':
          ref.pointwiseConv2dBackward(s.input!, w('weight'), dy, dx, gw('weight'), gw('bias'), { pixels: batch * inShape[0]! * inShape[1]!, inChannels: node.attrs.inChannels, outChannels: node.attrs.outChannels });
          break;
        case 'dense':
          ref.denseBackward(s.input!, w('weight'), dy, dx, gw('weight'), gw('bias'), { batch, inFeatures: node.attrs.inFeatures, outFeatures: node.attrs.outFeatures });
          break;
        case 'batchNorm': {
          const c = node.attrs.channels;
          ref.batchNormBackward(s.input!, dy, dx, gw('gamma'), gw('beta'), { gamma: w('gamma'), beta: w('beta'), epsilon: node.attrs.epsilon }, { mean: s.mean!, invStd: s.invStd! }, { count: dy.length / c, channels: c });
          break;
        }
        case 'activation':
        case 'add':
        case 'globalPool':
        case 'dropout':
          if (node.op === 'add') addGrad(node.inputs[1]!, dy);
          if (dx) hostBackward(node, dy, dx, { batch, inShape, input: s.input!, output: s.output!, mask: s.mask });
          break;
      }
      if (dx) addGrad(node.inputs[0]!, dx);
    }
  }
}
