/**
 * The training network on the WebAssembly kernels: the same contract as TrainableNetwork (forward
 * in training mode, backward, gradients by parameter name), with every tensor in the kernels'
 * memory. Convolutions run on the SIMD kernels (1×1 input gradients as a GEMM with the transposed
 * weights); the steps without a fast kernel yet run the reference kernels on views of the same
 * memory, so the two always agree.
 */
import { MobileNetError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import { nodeParams, type GraphNode, type TensorShape } from '../graph/ops.js';
import * as ref from '../kernels/ref/index.js';
import * as K from '../kernels/wasm/index.js';
import { shapeSize } from '../tensor.js';
import type { Weights } from '../runtime/weights.js';
import { conv2dDesc, depthwiseDesc } from './network.js';

const PAGE = 65536;
const NO_CLAMP = { clampMin: -Infinity, clampMax: Infinity };

interface Buffer {
  ptr: number;
  length: number;
}

/** A bump allocator over the memory; reset between batch sizes. */
class Heap {
  constructor(
    readonly memory: WebAssembly.Memory,
    public top: number,
  ) {}

  alloc(floats: number): Buffer {
    const ptr = Math.ceil(this.top / 64) * 64;
    this.top = ptr + floats * 4;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
    return { ptr, length: floats };
  }
}

export class FastTrainableNetwork {
  readonly graph: Graph;
  readonly params: Weights;
  readonly grads = new Map<string, { data: Float32Array; shape: readonly number[] }>();
  private readonly kernels: K.WasmKernels;
  private readonly heap: Heap;
  private readonly scratchStart: number;
  private readonly descPtr: number;
  private batch = 0;
  private training = false;
  private values = new Map<string, Buffer>();
  private packed = new Map<string, { weights: number; bias: number; transposed?: number }>();
  private shapes = new Map<string, TensorShape>();
  private saved = new Map<string, { mean?: Float32Array; invStd?: Float32Array; mask?: Uint8Array }>();

  private constructor(graph: Graph, params: Weights, kernels: K.WasmKernels) {
    this.graph = graph;
    this.params = params;
    this.kernels = kernels;
    this.heap = new Heap(kernels.memory, 64);
    this.descPtr = this.heap.alloc(64).ptr;
    this.scratchStart = this.heap.top;
    this.shapes.set(graph.input.name, graph.input.shape);
    for (const node of graph.nodes) {
      this.shapes.set(node.name, node.shape);
      for (const p of nodeParams(node)) {
        if (!params.has(p.name)) throw new MobileNetError('WEIGHTS_MISMATCH', `parameter ${p.name} is missing`);
        if (p.kind !== 'movingMean' && p.kind !== 'movingVariance') this.grads.set(p.name, { data: new Float32Array(shapeSize(p.shape)), shape: p.shape });
      }
    }
  }

  static create(graph: Graph, params: Weights): FastTrainableNetwork {
    if (!graph.outputs.logits) throw new MobileNetError('INVALID_ARGUMENT', `${graph.name} has no classifier to train`);
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
    const kernels = K.instantiateKernels(K.compileKernelsModule(K.chooseVariant(true)), memory);
    return new FastTrainableNetwork(graph, params, kernels);
  }

  zeroGrad(): void {
    for (const g of this.grads.values()) g.data.fill(0);
  }

  private f32(b: Buffer): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, b.ptr, b.length);
  }

  private view(): DataView {
    return new DataView(this.kernels.memory.buffer);
  }

  private put(data: Float32Array): number {
    const b = this.heap.alloc(data.length);
    this.f32(b).set(data);
    return b.ptr;
  }

  private p(name: string): Float32Array {
    return this.params.get(name)!.data;
  }

  /** Pack this step's weights (they change after every optimizer step). */
  private packWeights(): void {
    this.packed.clear();
    for (const node of this.graph.nodes) {
      const w = (k: string) => this.params.get(`${node.name}.${k}`)?.data ?? null;
      if (node.op === 'pointwiseConv2d' || node.op === 'dense') {
        const cin = node.op === 'dense' ? node.attrs.inFeatures : node.attrs.inChannels;
        const cout = node.op === 'dense' ? node.attrs.outFeatures : node.attrs.outChannels;
        const weights = this.put(K.packPointwise(w('weight')!, w('bias'), cin, cout));
        // Wᵀ (Cout, Cin) packed the same way: the input gradient is dY · Wᵀ.
        const wt = new Float32Array(cin * cout);
        const src = w('weight')!;
        for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) wt[o * cin + i] = src[i * cout + o]!;
        const transposed = this.put(K.packPointwise(wt, null, cout, cin));
        this.packed.set(node.name, { weights, bias: weights + 4 * K.pointwiseBiasOffset(cin, cout), transposed });
      } else if (node.op === 'depthwiseConv2d' && node.attrs.multiplier === 1 && node.attrs.kernel[0] === 3 && node.attrs.kernel[1] === 3) {
        this.packed.set(node.name, { weights: this.put(K.packDepthwise3x3(w('weight')!, w('bias'), node.attrs.channels)), bias: 0 });
      } else if (node.op === 'conv2d' && node.attrs.groups === 1) {
        const a = node.attrs;
        const at = this.put(K.packConv2dDirect(w('weight')!, w('bias'), a.kernel[0], a.kernel[1], a.inChannels, a.outChannels));
        this.packed.set(node.name, { weights: at, bias: at + 4 * K.conv2dDirectBiasOffset(a.kernel[0], a.kernel[1], a.inChannels, a.outChannels) });
      }
    }
  }

  forward(x: Float32Array, training: boolean, random: () => number = Math.random): Float32Array {
    const g = this.graph;
    const per = shapeSize(g.input.shape);
    if (x.length === 0 || x.length % per !== 0) {
      throw new MobileNetError('SHAPE_MISMATCH', `input has ${x.length} values, expected (N, ${g.input.shape.join(', ')})`);
    }
    const batch = x.length / per;
    this.batch = batch;
    this.training = training;
    this.heap.top = this.scratchStart;
    this.packWeights();
    this.values = new Map();
    this.saved = new Map();
    const input = this.heap.alloc(x.length);
    this.f32(input).set(x);
    this.values.set(g.input.name, input);
    for (const node of g.nodes) {
      const out = this.heap.alloc(batch * shapeSize(node.shape));
      this.forwardNode(node, this.values.get(node.inputs[0]!)!, out, random);
      this.values.set(node.name, out);
    }
    return this.f32(this.values.get(g.outputs.logits!)!).slice();
  }

  private forwardNode(node: GraphNode, x: Buffer, out: Buffer, random: () => number): void {
    const batch = this.batch;
    const inShape = this.shapes.get(node.inputs[0]!)!;
    const pk = this.packed.get(node.name);
    const ex = this.kernels.exports;
    const d = this.descPtr;
    const w = (k: string) => this.p(`${node.name}.${k}`);
    switch (node.op) {
      case 'pointwiseConv2d':
      case 'dense': {
        const cin = node.op === 'dense' ? node.attrs.inFeatures : node.attrs.inChannels;
        const cout = node.op === 'dense' ? node.attrs.outFeatures : node.attrs.outChannels;
        const pixels = node.op === 'dense' ? batch : batch * inShape[0]! * inShape[1]!;
        K.writePointwiseDesc(this.view(), d, {
          input: x.ptr, weights: pk!.weights, bias: pk!.bias, residual: 0, output: out.ptr, pixelStart: 0, pixelEnd: pixels,
          inChannels: cin, outChannels: cout, channelStart: 0, channelEnd: cout, inStride: cin, outStride: cout, accumulate: false, ...NO_CLAMP,
        });
        ex.pointwise(d);
        return;
      }
      case 'depthwiseConv2d': {
        if (!pk) {
          ref.depthwiseConv2d(this.f32(x), w('weight'), this.params.get(`${node.name}.bias`)?.data ?? null, this.f32(out), depthwiseDesc(node, inShape, batch));
          return;
        }
        const a = node.attrs;
        const [h, wd, c] = inShape as [number, number, number];
        const inBytes = h * wd * c * 4;
        const outBytes = shapeSize(node.shape) * 4;
        for (let n = 0; n < batch; n++) {
          K.writeDepthwise3x3Desc(this.view(), d, {
            input: x.ptr + n * inBytes, weights: pk.weights, output: out.ptr + n * outBytes, inHeight: h, inWidth: wd, channels: c, inStride: c, outStride: c,
            strideH: a.stride[0], strideW: a.stride[1], dilationH: a.dilation[0], dilationW: a.dilation[1], padTop: a.padding.top, padLeft: a.padding.left,
            outHeight: node.shape[0]!, outWidth: node.shape[1]!, rowStart: 0, rowEnd: node.shape[0]!, inputRowBase: 0, ...NO_CLAMP,
          });
          ex.depthwise3x3(d);
        }
        return;
      }
      case 'conv2d': {
        if (!pk) {
          ref.conv2d(this.f32(x), w('weight'), this.params.get(`${node.name}.bias`)?.data ?? null, this.f32(out), conv2dDesc(node, inShape, batch));
          return;
        }
        const a = node.attrs;
        const inBytes = shapeSize(inShape) * 4;
        const outBytes = shapeSize(node.shape) * 4;
        for (let n = 0; n < batch; n++) {
          K.writeConv2dDirectDesc(this.view(), d, {
            input: x.ptr + n * inBytes, weights: pk.weights, bias: pk.bias, output: out.ptr + n * outBytes,
            inHeight: inShape[0]!, inWidth: inShape[1]!, inChannels: a.inChannels, outChannels: a.outChannels,
            kernelH: a.kernel[0], kernelW: a.kernel[1], strideH: a.stride[0], strideW: a.stride[1], dilationH: a.dilation[0], dilationW: a.dilation[1],
            padTop: a.padding.top, padLeft: a.padding.left, outHeight: node.shape[0]!, outWidth: node.shape[1]!, rowStart: 0, rowEnd: node.shape[0]!, ...NO_CLAMP,
          });
          ex.conv2dDirect(d);
        }
        return;
      }
      case 'batchNorm': {
        const c = node.attrs.channels;
        const desc = { count: out.length / c, channels: c };
        if (this.training) {
          const mean = new Float32Array(c);
          const invStd = new Float32Array(c);
          const unbiasedVariance = new Float32Array(c);
          ref.batchNormTraining(this.f32(x), this.f32(out), { gamma: w('gamma'), beta: w('beta'), epsilon: node.attrs.epsilon }, { mean, invStd, unbiasedVariance }, desc);
          ref.updateRunningStats(w('movingMean'), w('movingVariance'), mean, unbiasedVariance, node.attrs.decay);
          this.saved.set(node.name, { mean, invStd });
        } else {
          ref.batchNormInference(this.f32(x), this.f32(out), { mean: w('movingMean'), variance: w('movingVariance'), gamma: w('gamma'), beta: w('beta'), epsilon: node.attrs.epsilon }, desc);
        }
        return;
      }
      case 'activation':
        ref.activation(this.f32(x), this.f32(out), node.attrs.fn, out.length);
        return;
      case 'add':
        ref.add(this.f32(x), this.f32(this.values.get(node.inputs[1]!)!), this.f32(out), out.length);
        return;
      case 'globalPool': {
        const desc = { batch, height: inShape[0]!, width: inShape[1]!, channels: node.shape[0]! };
        if (node.attrs.kind === 'avg') ref.globalAvgPool(this.f32(x), this.f32(out), desc);
        else ref.globalMaxPool(this.f32(x), this.f32(out), desc);
        return;
      }
      case 'dropout':
        if (this.training && node.attrs.rate > 0) {
          const mask = new Uint8Array(out.length);
          ref.dropoutForward(this.f32(x), this.f32(out), mask, node.attrs.rate, random, out.length);
          this.saved.set(node.name, { mask });
        } else {
          this.f32(out).set(this.f32(x));
        }
        return;
    }
  }

  backward(gradLogits: Float32Array): void {
    if (!this.training) throw new MobileNetError('INVALID_ARGUMENT', 'backward() needs a forward() in training mode first');
    const g = this.graph;
    const batch = this.batch;
    const grads = new Map<string, Buffer>();
    const first = this.heap.alloc(gradLogits.length);
    this.f32(first).set(gradLogits);
    grads.set(g.outputs.logits!, first);
    const addGrad = (name: string, grad: Buffer) => {
      if (name === g.input.name) return;
      const have = grads.get(name);
      if (!have) grads.set(name, grad);
      else ref.add(this.f32(have), this.f32(grad), this.f32(have), have.length);
    };
    const ex = this.kernels.exports;
    const d = this.descPtr;
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const node = g.nodes[i]!;
      const dy = grads.get(node.name);
      if (!dy) continue;
      grads.delete(node.name);
      const inName = node.inputs[0]!;
      const inShape = this.shapes.get(inName)!;
      const x = this.values.get(inName)!;
      const needInput = inName !== g.input.name;
      const dx = needInput ? this.heap.alloc(batch * shapeSize(inShape)) : null;
      const gw = (k: string) => this.grads.get(`${node.name}.${k}`)?.data ?? null;
      const w = (k: string) => this.p(`${node.name}.${k}`);
      switch (node.op) {
        case 'pointwiseConv2d':
        case 'dense': {
          const cin = node.op === 'dense' ? node.attrs.inFeatures : node.attrs.inChannels;
          const cout = node.op === 'dense' ? node.attrs.outFeatures : node.attrs.outChannels;
          const pixels = node.op === 'dense' ? batch : batch * inShape[0]! * inShape[1]!;
          ref.pointwiseConv2dBackward(this.f32(x), w('weight'), this.f32(dy), null, gw('weight'), gw('bias'), { pixels, inChannels: cin, outChannels: cout });
          if (dx) {
            const pk = this.packed.get(node.name)!;
            const zeroBias = this.heap.alloc(cin + 16);
            this.f32(zeroBias).fill(0);
            K.writePointwiseDesc(this.view(), d, {
              input: dy.ptr, weights: pk.transposed!, bias: zeroBias.ptr, residual: 0, output: dx.ptr, pixelStart: 0, pixelEnd: pixels,
              inChannels: cout, outChannels: cin, channelStart: 0, channelEnd: cin, inStride: cout, outStride: cin, accumulate: false, ...NO_CLAMP,
            });
            ex.pointwise(d);
          }
          break;
        }
        case 'depthwiseConv2d':
          ref.depthwiseConv2dBackward(this.f32(x), w('weight'), this.f32(dy), dx ? this.f32(dx) : null, gw('weight'), gw('bias'), depthwiseDesc(node, inShape, batch));
          break;
        case 'conv2d':
          ref.conv2dBackward(this.f32(x), w('weight'), this.f32(dy), dx ? this.f32(dx) : null, gw('weight'), gw('bias'), conv2dDesc(node, inShape, batch));
          break;
        case 'batchNorm': {
          const c = node.attrs.channels;
          const s = this.saved.get(node.name)!;
          ref.batchNormBackward(this.f32(x), this.f32(dy), dx ? this.f32(dx) : null, gw('gamma'), gw('beta'), { gamma: w('gamma'), beta: w('beta'), epsilon: node.attrs.epsilon }, { mean: s.mean!, invStd: s.invStd! }, { count: dy.length / c, channels: c });
          break;
        }
        case 'activation':
          if (dx) ref.activationBackward(this.f32(this.values.get(node.name)!), this.f32(dy), this.f32(dx), node.attrs.fn, dy.length);
          break;
        case 'add':
          addGrad(node.inputs[1]!, dy);
          if (dx) this.f32(dx).set(this.f32(dy));
          break;
        case 'globalPool': {
          const desc = { batch, height: inShape[0]!, width: inShape[1]!, channels: node.shape[0]! };
          if (dx) {
            if (node.attrs.kind === 'avg') ref.globalAvgPoolBackward(this.f32(dy), this.f32(dx), desc);
            else ref.globalMaxPoolBackward(this.f32(x), this.f32(dy), this.f32(dx), desc);
          }
          break;
        }
        case 'dropout':
          if (dx) {
            const mask = this.saved.get(node.name)?.mask;
            if (mask) ref.dropoutBackward(this.f32(dy), mask, this.f32(dx), node.attrs.rate, dy.length);
            else this.f32(dx).set(this.f32(dy));
          }
          break;
      }
      if (dx) addGrad(inName, dx);
    }
  }
}
