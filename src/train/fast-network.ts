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
import { conv2dDesc, depthwiseDesc } from '../runtime/descriptors.js';
import { barrier, controlBytes, CONTROL, JOB_AREA_OFFSET, JOB_SLOT_INTS, Op, runCalls, split } from '../runtime/wasm/execute.js';
import { defaultThreadCount, MAX_THREADS, workerPoolFactory, type WorkerPool } from '../runtime/wasm/pool.js';
import { hostBackward, hostForward } from './host-ops.js';


const PAGE = 65536;
/** Pixel ranges of the batch-norm reductions (see partialSums): fixed, so results do not depend on the thread count. */
const SUM_CHUNKS = 8;
const NO_CLAMP = { clampMin: -Infinity, clampMax: Infinity };
const CLAMPS: Record<string, [number, number]> = { linear: [-Infinity, Infinity], relu: [0, Infinity], relu6: [0, 6] };

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
  readonly threads: number;
  private readonly controlOffset: number;
  private readonly control: Int32Array;
  private pool: WorkerPool | undefined;
  /** Per thread: [op, desc, op, desc, …] waiting for flush(). */
  private pending: number[][];
  private batch = 0;
  private training = false;
  private values = new Map<string, Buffer>();
  private packed = new Map<string, { weights: number; bias: number; transposed?: number }>();
  private shapes = new Map<string, TensorShape>();
  private saved = new Map<string, { meanPtr?: number; invStdPtr?: number; mask?: Uint8Array }>();
  /** The descriptors of the last pass (forward + backward) by call index, for passes of the same key. */
  private descriptors: { key: string; entries: { op: Op; at: number; bytes: Uint8Array }[] } = { key: '', entries: [] };
  private callIndex = 0;

  /** Gradient buffers in the kernels' memory (the `grads` views point at them). */
  private readonly gradPtr = new Map<string, number>();
  /** BN node → the activation it is fused with (its sole reader), and the activation → its BN. */
  private readonly bnAct = new Map<string, GraphNode & { op: 'activation' }>();
  private readonly actBn = new Map<string, string>();
  /** When set, training-mode forwards update the BN moving statistics with this decay (precise BN). */
  batchNormDecayOverride: number | undefined = undefined;

  private constructor(graph: Graph, params: Weights, kernels: K.WasmKernels, threads: number) {
    this.graph = graph;
    this.params = params;
    this.kernels = kernels;
    this.threads = threads;
    this.pending = Array.from({ length: threads }, () => []);
    this.heap = new Heap(kernels.memory, 64);
    this.controlOffset = this.heap.alloc(controlBytes(threads) / 4).ptr;
    this.control = new Int32Array(kernels.memory.buffer as SharedArrayBuffer, this.controlOffset, CONTROL.words);
    this.shapes.set(graph.input.name, graph.input.shape);
    const readers = new Map<string, GraphNode[]>();
    for (const node of graph.nodes) for (const i of node.inputs) readers.set(i, [...(readers.get(i) ?? []), node]);
    for (const node of graph.nodes) {
      this.shapes.set(node.name, node.shape);
      const r = readers.get(node.name);
      if (node.op === 'batchNorm' && r?.length === 1 && r[0]!.op === 'activation') {
        this.bnAct.set(node.name, r[0] as GraphNode & { op: 'activation' });
        this.actBn.set(r[0]!.name, node.name);
      }
      for (const p of nodeParams(node)) {
        if (!params.has(p.name)) throw new MobileNetError('WEIGHTS_MISMATCH', `parameter ${p.name} is missing`);
        if (p.kind === 'movingMean' || p.kind === 'movingVariance') continue;
        const b = this.heap.alloc(shapeSize(p.shape));
        this.gradPtr.set(p.name, b.ptr);
      }
    }
    // Views made after the last growth of this region stay valid (the memory is shared: it never moves).
    for (const node of graph.nodes) {
      for (const p of nodeParams(node)) {
        const ptr = this.gradPtr.get(p.name);
        if (ptr !== undefined) this.grads.set(p.name, { data: new Float32Array(kernels.memory.buffer, ptr, shapeSize(p.shape)), shape: p.shape });
      }
    }
    this.scratchStart = this.heap.top;
  }

  /** `threads` including the caller (default: the registered platform's cores, else 1). */
  static async create(graph: Graph, params: Weights, options: { threads?: number } = {}): Promise<FastTrainableNetwork> {
    if (!graph.outputs.logits) throw new MobileNetError('INVALID_ARGUMENT', `${graph.name} has no classifier to train`);
    const threads = options.threads ?? defaultThreadCount();
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new MobileNetError('INVALID_ARGUMENT', `threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
    const module = K.compileKernelsModule(K.chooseVariant(true));
    const kernels = K.instantiateKernels(module, memory);
    const net = new FastTrainableNetwork(graph, params, kernels, threads);
    if (threads > 1) {
      const factory = workerPoolFactory();
      if (!factory) throw new MobileNetError('UNSUPPORTED', `training on ${threads} threads needs worker threads: in Node call useNodeRuntime() first, or use threads: 1`);
      net.pool = await factory({ threads, module, memory, controlOffset: net.controlOffset });
    }
    return net;
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /**
   * Write a descriptor (in this step's scratch) and queue the call for `thread`. A pass with the same
   * batch and mode as the last one allocates the same addresses and so writes the same descriptors:
   * those are copied from the last pass's bytes instead of being built and checked again (building
   * them was a fifth of the main thread's time, which the other threads wait for).
   */
  private enqueue(thread: number, op: Op, bytes: number, write: (view: DataView, at: number) => void): void {
    const at = this.heap.alloc(Math.ceil(bytes / 4)).ptr;
    const index = this.callIndex++;
    const cached = this.descriptors.entries[index];
    const memory = new Uint8Array(this.kernels.memory.buffer);
    if (cached && cached.op === op && cached.at === at && cached.bytes.length === bytes) {
      memory.set(cached.bytes, at);
    } else {
      write(this.view(), at);
      this.descriptors.entries[index] = { op, at, bytes: memory.slice(at, at + bytes) };
    }
    this.pending[thread]!.push(op, at);
  }

  /** Run the queued calls: every thread its own list, then a barrier. */
  private flush(): void {
    const T = this.threads;
    if (T === 1 || !this.pool) {
      const calls = Int32Array.from(this.pending[0]!);
      this.pending[0] = [];
      runCalls(this.kernels.exports, this.kernels.memory, calls);
      return;
    }
    const slots = new Int32Array(this.kernels.memory.buffer, this.controlOffset + JOB_AREA_OFFSET, T * JOB_SLOT_INTS);
    for (let t = 0; t < T; t++) {
      const list = this.pending[t]!;
      if (list.length + 1 > JOB_SLOT_INTS) throw new MobileNetError('INTERNAL', `too many queued kernel calls (${list.length / 2}) for one flush`);
      slots[t * JOB_SLOT_INTS] = list.length / 2;
      slots.set(list, t * JOB_SLOT_INTS + 1);
    }
    this.pool.startCalls();
    let failure: unknown;
    try {
      runCalls(this.kernels.exports, this.kernels.memory, Int32Array.from(this.pending[0]!));
    } catch (error) {
      failure = error;
    }
    // Whatever happened here, the workers wait at this barrier for thread 0.
    barrier(this.control, T);
    for (let t = 0; t < T; t++) this.pending[t] = [];
    const error = this.pool.takeError();
    if (failure !== undefined) throw failure;
    if (error) throw new MobileNetError('INTERNAL', `training worker failed: ${error}`);
  }

  zeroGrad(): void {
    for (const g of this.grads.values()) g.data.fill(0);
  }

  /** A fresh 16-byte aligned workspace for the BN kernels. */
  private scratch(channels: number): number {
    return this.heap.alloc(K.trainingScratchFloats(channels)).ptr;
  }

  /**
   * Per-channel float64 sum pairs ([Σa over C, Σb over C]) over all pixels. The pixels are cut into
   * SUM_CHUNKS fixed ranges, each reduced into its own pair by some thread and the pairs added here in
   * order, so the sums (and the whole training run) are the same for any thread count. Splitting the
   * channels instead made each thread stream the whole tensor (a pixel's channels share cache lines),
   * which ran no faster on two threads than on one.
   */
  private partialSums(
    c: number, pixels: number, enqueue: (thread: number, p0: number, p1: number, at: number, scratch: number) => void,
  ): { ptr: number } {
    const chunks = split(pixels, SUM_CHUNKS, 64).filter(([p0, p1]) => p1 > p0);
    const sums = this.heap.alloc(4 * c * chunks.length); // per chunk: 2·C float64
    // Allocated outside the descriptor writers: a replayed pass must allocate the same addresses.
    chunks.forEach(([p0, p1], i) => enqueue(i % this.threads, p0, p1, sums.ptr + i * 16 * c, this.scratch(c)));
    this.flush();
    const all = new Float64Array(this.kernels.memory.buffer, sums.ptr, 2 * c * chunks.length);
    for (let i = 1; i < chunks.length; i++) {
      for (let j = 0; j < 2 * c; j++) all[j] = all[j]! + all[i * 2 * c + j]!;
    }
    return sums;
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
        // Wᵀ packed the same way: the input gradient dY · Wᵀ is a forward 1×1 conv on dY.
        const transposed = this.put(K.packPointwiseTransposed(w('weight')!, cin, cout));
        this.packed.set(node.name, { weights, bias: weights + 4 * K.pointwiseBiasOffset(cin, cout), transposed });
      } else if (node.op === 'depthwiseConv2d' && node.attrs.multiplier === 1 && node.attrs.kernel[0] === 3 && node.attrs.kernel[1] === 3) {
        this.packed.set(node.name, {
          weights: this.put(K.packDepthwise3x3(w('weight')!, w('bias'), node.attrs.channels)),
          bias: 0,
          // The input gradient gathers with the taps rotated by 180°.
          transposed: this.put(K.packDepthwise3x3Transposed(w('weight')!, node.attrs.channels)),
        });
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
    const key = `${batch}|${training}`;
    if (this.descriptors.key !== key) this.descriptors = { key, entries: [] };
    this.callIndex = 0;
    this.packWeights();
    this.values = new Map();
    this.saved = new Map();
    const input = this.heap.alloc(x.length);
    this.f32(input).set(x);
    this.values.set(g.input.name, input);
    for (const node of g.nodes) {
      if (training && this.actBn.has(node.name)) {
        // Fused into the batch norm before it: the BN output is already clamped.
        this.values.set(node.name, this.values.get(node.inputs[0]!)!);
        continue;
      }
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
    const T = this.threads;
    const w = (k: string) => this.p(`${node.name}.${k}`);
    switch (node.op) {
      case 'pointwiseConv2d':
      case 'dense': {
        const cin = node.op === 'dense' ? node.attrs.inFeatures : node.attrs.inChannels;
        const cout = node.op === 'dense' ? node.attrs.outFeatures : node.attrs.outChannels;
        const pixels = node.op === 'dense' ? batch : batch * inShape[0]! * inShape[1]!;
        split(pixels, T, 8).forEach(([p0, p1], t) => {
          if (p1 > p0) {
            this.enqueue(t, Op.Pointwise, K.POINTWISE_DESC_BYTES, (v, at) => K.writePointwiseDesc(v, at, {
              input: x.ptr, weights: pk!.weights, bias: pk!.bias, residual: 0, output: out.ptr, pixelStart: p0, pixelEnd: p1,
              inChannels: cin, outChannels: cout, channelStart: 0, channelEnd: cout, inStride: cin, outStride: cout, accumulate: false, ...NO_CLAMP,
            }));
          }
        });
        this.flush();
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
          this.enqueue(n % T, Op.Depthwise3x3, K.DEPTHWISE3X3_DESC_BYTES, (v, at) => K.writeDepthwise3x3Desc(v, at, {
            input: x.ptr + n * inBytes, weights: pk.weights, output: out.ptr + n * outBytes, inHeight: h, inWidth: wd, channels: c, inStride: c, outStride: c,
            strideH: a.stride[0], strideW: a.stride[1], dilationH: a.dilation[0], dilationW: a.dilation[1], padTop: a.padding.top, padLeft: a.padding.left,
            outHeight: node.shape[0]!, outWidth: node.shape[1]!, rowStart: 0, rowEnd: node.shape[0]!, inputRowBase: 0, ...NO_CLAMP,
          }));
        }
        this.flush();
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
          this.enqueue(n % T, Op.Conv2dDirect, K.CONV2D_DIRECT_DESC_BYTES, (v, at) => K.writeConv2dDirectDesc(v, at, {
            input: x.ptr + n * inBytes, weights: pk.weights, bias: pk.bias, output: out.ptr + n * outBytes,
            inHeight: inShape[0]!, inWidth: inShape[1]!, inChannels: a.inChannels, outChannels: a.outChannels,
            kernelH: a.kernel[0], kernelW: a.kernel[1], strideH: a.stride[0], strideW: a.stride[1], dilationH: a.dilation[0], dilationW: a.dilation[1],
            padTop: a.padding.top, padLeft: a.padding.left, outHeight: node.shape[0]!, outWidth: node.shape[1]!, rowStart: 0, rowEnd: node.shape[0]!, ...NO_CLAMP,
          }));
        }
        this.flush();
        return;
      }
      case 'batchNorm': {
        const c = node.attrs.channels;
        const desc = { count: out.length / c, channels: c };
        if (this.training) {
          const pixels = out.length / c;
          const act = this.bnAct.get(node.name);
          const [lo, hi] = act ? CLAMPS[act.attrs.fn]! : CLAMPS['linear']!;
          // Batch statistics: float64 sums over all pixels, shifted by the running mean for accuracy.
          const shift = this.heap.alloc(c);
          const f = this.f32(shift);
          f.set(w('movingMean'));
          const sums = this.partialSums(c, pixels, (t, p0, p1, at, scratch) =>
            this.enqueue(t, Op.ChannelStats, K.CHANNEL_STATS_DESC_BYTES, (v, d) => K.writeChannelStatsDesc(v, d, {
              input: x.ptr, shift: shift.ptr, sum: at, sumSquares: at + 8 * c, scratch, pixelStart: p0, pixelEnd: p1,
              channels: c, stride: c, channelStart: 0, channelEnd: c, accumulate: false,
            })),
          );
          const sum = new Float64Array(this.kernels.memory.buffer, sums.ptr, c);
          const sumSquares = new Float64Array(this.kernels.memory.buffer, sums.ptr + 8 * c, c);
          const stats = { mean: this.heap.alloc(c), invStd: this.heap.alloc(c), scale: this.heap.alloc(c), shift: this.heap.alloc(c) };
          const unbiasedVariance = new Float32Array(c);
          const mean = this.f32(stats.mean);
          const invStd = this.f32(stats.invStd);
          K.batchNormFromSums(sum, sumSquares, this.f32(shift).slice(), pixels, w('gamma'), w('beta'), node.attrs.epsilon, {
            mean, invStd, scale: this.f32(stats.scale), shift: this.f32(stats.shift), unbiasedVariance,
          });
          ref.updateRunningStats(w('movingMean'), w('movingVariance'), mean, unbiasedVariance, this.batchNormDecayOverride ?? node.attrs.decay);
          split(pixels, T, 4).forEach(([p0, p1], t) => {
            if (p1 > p0) {
              this.enqueue(t, Op.ScaleShiftClamp, K.SCALE_SHIFT_CLAMP_DESC_BYTES, (v, at) => K.writeScaleShiftClampDesc(v, at, {
                input: x.ptr, output: out.ptr, scale: stats.scale.ptr, shift: stats.shift.ptr, pixelStart: p0, pixelEnd: p1,
                channels: c, stride: c, clampMin: lo, clampMax: hi,
              }));
            }
          });
          this.flush();
          this.saved.set(node.name, { meanPtr: stats.mean.ptr, invStdPtr: stats.invStd.ptr });
        } else {
          ref.batchNormInference(this.f32(x), this.f32(out), { mean: w('movingMean'), variance: w('movingVariance'), gamma: w('gamma'), beta: w('beta'), epsilon: node.attrs.epsilon }, desc);
        }
        return;
      }
      case 'activation':
      case 'add':
      case 'globalPool':
      case 'dropout': {
        const other = node.op === 'add' ? this.f32(this.values.get(node.inputs[1]!)!) : undefined;
        const mask = hostForward(node, this.f32(x), this.f32(out), { batch, inShape, training: this.training, random, other });
        if (mask) this.saved.set(node.name, { mask });
        return;
      }
    }
  }

  backward(gradLogits: Float32Array): void {
    if (!this.training) throw new MobileNetError('INVALID_ARGUMENT', 'backward() needs a forward() in training mode first');
    const g = this.graph;
    const batch = this.batch;
    const T = this.threads;
    const grads = new Map<string, Buffer>();
    const first = this.heap.alloc(gradLogits.length);
    this.f32(first).set(gradLogits);
    grads.set(g.outputs.logits!, first);
    const addGrad = (name: string, grad: Buffer) => {
      if (name === g.input.name) return;
      const have = grads.get(name);
      if (!have) {
        grads.set(name, grad);
        return;
      }
      split(have.length, T, 16).forEach(([a, b], t) => {
        if (b > a) this.enqueue(t, Op.AddInPlace, K.ADD_IN_PLACE_DESC_BYTES, (v, at) => K.writeAddInPlaceDesc(v, at, { target: have.ptr, source: grad.ptr, start: a, end: b }));
      });
      this.flush();
    };
    const gp = (node: GraphNode, k: string) => this.gradPtr.get(`${node.name}.${k}`) ?? 0;
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const node = g.nodes[i]!;
      const dy = grads.get(node.name);
      if (!dy) continue;
      grads.delete(node.name);
      const inName = node.inputs[0]!;
      const inShape = this.shapes.get(inName)!;
      const x = this.values.get(inName)!;
      if (node.op === 'activation' && this.actBn.has(node.name)) {
        grads.set(inName, dy); // the BN applies the activation's mask in its own backward
        continue;
      }
      const needInput = inName !== g.input.name;
      const dx = needInput ? this.heap.alloc(batch * shapeSize(inShape)) : null;
      const w = (k: string) => this.p(`${node.name}.${k}`);
      switch (node.op) {
        case 'pointwiseConv2d':
        case 'dense': {
          const cin = node.op === 'dense' ? node.attrs.inFeatures : node.attrs.inChannels;
          const cout = node.op === 'dense' ? node.attrs.outFeatures : node.attrs.outChannels;
          const pixels = node.op === 'dense' ? batch : batch * inShape[0]! * inShape[1]!;
          // Threads split the weight rows (input channels); thread 0 also takes the bias.
          split(cin, T, 4).forEach(([c0, c1], t) => {
            if (c1 > c0) {
              this.enqueue(t, Op.PointwiseWeightGrad, K.POINTWISE_WEIGHT_GRAD_DESC_BYTES, (v, at) => K.writePointwiseWeightGradDesc(v, at, {
                input: x.ptr, gradOutput: dy.ptr, gradWeight: gp(node, 'weight'), gradBias: t === 0 ? gp(node, 'bias') : 0, pixelStart: 0, pixelEnd: pixels,
                inChannels: cin, outChannels: cout, inChannelStart: c0, inChannelEnd: c1, inStride: cin, gradStride: cout, accumulate: true,
              }));
            }
          });
          if (dx) {
            const zeroBias = this.heap.alloc(cin + 16);
            this.f32(zeroBias).fill(0);
            split(pixels, T, 8).forEach(([p0, p1], t) => {
              if (p1 > p0) {
                this.enqueue(t, Op.Pointwise, K.POINTWISE_DESC_BYTES, (v, at) => K.writePointwiseDesc(v, at, {
                  input: dy.ptr, weights: this.packed.get(node.name)!.transposed!, bias: zeroBias.ptr, residual: 0, output: dx.ptr, pixelStart: p0, pixelEnd: p1,
                  inChannels: cout, outChannels: cin, channelStart: 0, channelEnd: cin, inStride: cout, outStride: cin, accumulate: false, ...NO_CLAMP,
                }));
              }
            });
          }
          this.flush();
          break;
        }
        case 'depthwiseConv2d': {
          const pk = this.packed.get(node.name);
          if (!pk) {
            ref.depthwiseConv2dBackward(this.f32(x), w('weight'), this.f32(dy), dx ? this.f32(dx) : null, this.grads.get(`${node.name}.weight`)!.data, this.grads.get(`${node.name}.bias`)?.data ?? null, depthwiseDesc(node, inShape, batch));
            break;
          }
          const a = node.attrs;
          const [h, wd, c] = inShape as [number, number, number];
          const [oh, ow] = node.shape as [number, number];
          const geometry = {
            inHeight: h, inWidth: wd, channels: c, inStride: c, outStride: c, strideH: a.stride[0], strideW: a.stride[1], dilationH: a.dilation[0], dilationW: a.dilation[1],
            padTop: a.padding.top, padLeft: a.padding.left, outHeight: oh, outWidth: ow,
          };
          // Weight gradients: threads split the channels and each goes over every image; input gradients: images.
          const channelParts = split(c, T, 4);
          for (let n = 0; n < batch; n++) {
            const xin = x.ptr + n * h * wd * c * 4;
            const gout = dy.ptr + n * oh * ow * c * 4;
            channelParts.forEach(([c0, c1], t) => {
              if (c1 > c0) {
                this.enqueue(t, Op.Depthwise3x3BackwardWeight, K.DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES, (v, at) => K.writeDepthwise3x3BackwardWeightDesc(v, at, {
                  ...geometry, input: xin, gradOutput: gout, gradWeight: gp(node, 'weight'), gradBias: gp(node, 'bias'), rowStart: 0, rowEnd: oh, channelStart: c0, channelEnd: c1, accumulate: true,
                }));
              }
            });
            if (dx) {
              this.enqueue(n % T, Op.Depthwise3x3BackwardInput, K.DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES, (v, at) => K.writeDepthwise3x3BackwardInputDesc(v, at, {
                ...geometry, gradOutput: gout, weights: pk.transposed!, gradInput: dx.ptr + n * h * wd * c * 4, rowStart: 0, rowEnd: h,
              }));
            }
          }
          this.flush();
          break;
        }
        case 'conv2d': {
          const pk = this.packed.get(node.name);
          if (!pk || dx) {
            ref.conv2dBackward(this.f32(x), w('weight'), this.f32(dy), dx ? this.f32(dx) : null, this.grads.get(`${node.name}.weight`)!.data, this.grads.get(`${node.name}.bias`)?.data ?? null, conv2dDesc(node, inShape, batch));
            break;
          }
          const a = node.attrs;
          const [oh, ow] = node.shape as [number, number];
          const coutParts = split(a.outChannels, T, 8);
          for (let n = 0; n < batch; n++) {
            coutParts.forEach(([c0, c1], t) => {
              if (c1 > c0) {
                this.enqueue(t, Op.Conv2dDirectBackwardWeight, K.CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES, (v, at) => K.writeConv2dDirectBackwardWeightDesc(v, at, {
                  input: x.ptr + n * shapeSize(inShape) * 4, gradOutput: dy.ptr + n * shapeSize(node.shape) * 4, gradWeight: gp(node, 'weight'), gradBias: gp(node, 'bias'),
                  inHeight: inShape[0]!, inWidth: inShape[1]!, inChannels: a.inChannels, outChannels: a.outChannels, kernelH: a.kernel[0], kernelW: a.kernel[1],
                  strideH: a.stride[0], strideW: a.stride[1], dilationH: a.dilation[0], dilationW: a.dilation[1], padTop: a.padding.top, padLeft: a.padding.left,
                  outHeight: oh, outWidth: ow, rowStart: 0, rowEnd: oh, channelStart: c0, channelEnd: c1, accumulate: true,
                }));
              }
            });
          }
          this.flush();
          break;
        }
        case 'batchNorm': {
          const c = node.attrs.channels;
          const pixels = dy.length / c;
          const s = this.saved.get(node.name)!;
          const act = this.bnAct.get(node.name);
          const [lo, hi] = act ? CLAMPS[act.attrs.fn]! : CLAMPS['linear']!;
          const y = act ? this.values.get(node.name)!.ptr : 0;
          const sums = this.partialSums(c, pixels, (t, p0, p1, at, scratch) =>
            this.enqueue(t, Op.BnBackwardReduce, K.BN_BACKWARD_REDUCE_DESC_BYTES, (v, d) => K.writeBnBackwardReduceDesc(v, d, {
              input: x.ptr, activation: y, gradOutput: dy.ptr, mean: s.meanPtr!, invStd: s.invStdPtr!, sumDz: at, sumDzXhat: at + 8 * c, scratch,
              pixelStart: p0, pixelEnd: p1, channels: c, stride: c, channelStart: 0, channelEnd: c, accumulate: false, clampMin: lo, clampMax: hi,
            })),
          );
          const sumDz = new Float64Array(this.kernels.memory.buffer, sums.ptr, c);
          const sumDzXhat = new Float64Array(this.kernels.memory.buffer, sums.ptr + 8 * c, c);
          const gGamma = this.grads.get(`${node.name}.gamma`)!.data;
          const gBeta = this.grads.get(`${node.name}.beta`)!.data;
          for (let ch = 0; ch < c; ch++) {
            gGamma[ch] = gGamma[ch]! + sumDzXhat[ch]!;
            gBeta[ch] = gBeta[ch]! + sumDz[ch]!;
          }
          if (dx) {
            const gamma = this.heap.alloc(c);
            this.f32(gamma).set(w('gamma'));
            split(pixels, T, 4).forEach(([p0, p1], t) => {
              if (p1 > p0) {
                const scratch = this.scratch(c);
                this.enqueue(t, Op.BnBackwardApply, K.BN_BACKWARD_APPLY_DESC_BYTES, (v, at) => K.writeBnBackwardApplyDesc(v, at, {
                  input: x.ptr, activation: y, gradOutput: dy.ptr, gradInput: dx.ptr, mean: s.meanPtr!, invStd: s.invStdPtr!, gamma: gamma.ptr,
                  sumDz: sums.ptr, sumDzXhat: sums.ptr + 8 * c, scratch, count: pixels, pixelStart: p0, pixelEnd: p1, channels: c, stride: c, clampMin: lo, clampMax: hi,
                }));
              }
            });
            this.flush();
          }
          break;
        }
        case 'activation':
        case 'add':
        case 'globalPool':
        case 'dropout': {
          if (node.op === 'add') addGrad(node.inputs[1]!, dy);
          if (!dx) break;
          if (node.op === 'globalPool' && node.attrs.kind === 'avg') {
            const [h, wd, c] = inShape as [number, number, number];
            for (let n = 0; n < batch; n++) {
              this.enqueue(n % T, Op.GlobalAvgPoolBackward, K.GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES, (v, at) => K.writeGlobalAvgPoolBackwardDesc(v, at, {
                gradOutput: dy.ptr + n * c * 4, gradInput: dx.ptr + n * h * wd * c * 4, pixels: h * wd, channels: c, stride: c, pixelStart: 0, pixelEnd: h * wd,
              }));
            }
            this.flush();
            break;
          }
          const output = this.f32(this.values.get(node.name)!);
          hostBackward(node, this.f32(dy), this.f32(dx), { batch, inShape, input: this.f32(x), output, mask: this.saved.get(node.name)?.mask });
          break;
        }
      }
      if (dx) addGrad(inName, dx);
    }
  }
}
