/**
 * An inference session: a graph with its weights, ready to run batches. Follows onnxruntime's
 * shape (create / run / release). The 'ref' backend runs the reference kernels node by node;
 * BN is folded into the convolutions first (the result is the same up to float rounding).
 */
import { MobileNetError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import type { GraphNode, TensorShape } from '../graph/ops.js';
import * as ref from '../kernels/ref/index.js';
import { formatShape, shapeSize, type NamedTensors, type Tensor } from '../tensor.js';
import { foldBatchNorm } from './fold.js';
import { checkWeights, graphParams, type Weights } from './weights.js';
import { WasmEngine, type StepProfile } from './wasm/engine.js';
import { defaultThreadCount, MAX_THREADS } from './wasm/pool.js';
import { activationMemory } from '../graph/cost.js';
import { conv2dDesc, depthwiseDesc } from './descriptors.js';

/** 'wasm': the WebAssembly SIMD engine (the default); 'ref': the reference kernels (the definition, slow). */
export type Backend = 'wasm' | 'ref';
export const BACKENDS: readonly Backend[] = ['wasm', 'ref'];

export interface SessionOptions {
  backend?: Backend;
  /**
   * wasm: threads including the caller, an integer from 1 to 64. Default: the machine's cores (at most
   * 64) where a platform registered threads (Node), else 1. The ref backend runs on one thread but checks it too.
   */
  threads?: number;
  /**
   * wasm: run inverted residual blocks band by band (MobileNetV2 §5.1): a fraction of the activation
   * memory. 'auto' (default): for batches of more than one image (faster there too); true: always.
   */
  memoryEfficient?: boolean | 'auto';
  /** wasm: use relaxed SIMD (FMA) when the runtime has it. Default true. */
  relaxedSimd?: boolean;
  /**
   * ref: fold BN into the preceding convolutions (default true); false runs BN as its own node. The
   * wasm engine has no inference BN kernel and always folds, so it refuses false.
   */
  foldBatchNorm?: boolean;
  /**
   * false: ignore tensors the graph has no parameter for. The classifier must still fit: a session
   * runs the weights it is given, so a missing one or one of another shape is refused too (to start
   * a new head, readModel/loadModel with strict: false give it fresh weights). Default true.
   */
  strict?: boolean;
}

/** What to return besides the logits. */
export interface RunRequest {
  probabilities?: boolean;
  embedding?: boolean;
  features?: boolean;
  /** Feature maps at the backbone taps (reductions 2…32). */
  taps?: boolean;
}

export interface RunResult {
  /** (N, classes), when the graph has a classifier. */
  logits?: Tensor<'float32'>;
  /** softmax(logits), (N, classes). */
  probabilities?: Tensor<'float32'>;
  /** The pooled feature vector, (N, C). */
  embedding?: Tensor<'float32'>;
  /** The last feature map, (N, h, w, C). */
  features?: Tensor<'float32'>;
  /** Feature maps by reduction: { 8: (N, H/8, W/8, C), … }. */
  taps?: Record<number, Tensor<'float32'>>;
}

/** A value as a message shows it: strings quoted, so that '2' and 2 differ. */
function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/**
 * Every option is checked before anything is built: JavaScript would read a string such as 'no' as
 * true, and an option the chosen backend cannot honour would be ignored silently.
 */
function checkOptions(options: SessionOptions): void {
  if (typeof options !== 'object' || options === null) throw new MobileNetError('INVALID_ARGUMENT', `options must be an object, got ${show(options)}`);
  const { backend, threads, memoryEfficient } = options;
  if (backend !== undefined && !BACKENDS.includes(backend)) {
    throw new MobileNetError('INVALID_ARGUMENT', `backend must be one of ${BACKENDS.join(', ')}, got ${show(backend)}`);
  }
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new MobileNetError('INVALID_ARGUMENT', `threads must be an integer from 1 to ${MAX_THREADS}, got ${show(threads)}`);
  }
  if (memoryEfficient !== undefined && typeof memoryEfficient !== 'boolean' && memoryEfficient !== 'auto') {
    throw new MobileNetError('INVALID_ARGUMENT', `memoryEfficient must be true, false or 'auto', got ${show(memoryEfficient)}`);
  }
  for (const name of ['relaxedSimd', 'foldBatchNorm', 'strict'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'boolean') throw new MobileNetError('INVALID_ARGUMENT', `${name} must be true or false, got ${show(value)}`);
  }
  if (options.foldBatchNorm === false && (backend ?? 'wasm') === 'wasm') {
    throw new MobileNetError('INVALID_ARGUMENT', "foldBatchNorm: false needs backend: 'ref': the wasm engine has no inference batch-norm kernel and always folds BN into the convolutions");
  }
}

export class InferenceSession {
  readonly graph: Graph;
  readonly backend: Backend;
  /** Per-example input shape (H, W, 3), NHWC. */
  readonly inputShape: TensorShape;
  private readonly exec: Graph;
  private readonly weights: Weights;
  private released = false;

  private readonly engine: WasmEngine | undefined;

  private constructor(graph: Graph, exec: Graph, weights: Weights, backend: Backend, engine?: WasmEngine) {
    this.graph = graph;
    this.exec = exec;
    this.weights = weights;
    this.backend = backend;
    this.inputShape = graph.input.shape;
    this.engine = engine;
  }

  /** wasm: the threads this session runs on. */
  get threads(): number {
    return this.engine?.threads ?? 1;
  }

  /** wasm: the kernel variant in use ('relaxed' FMA or plain 'simd'); undefined for ref. */
  get simd(): string | undefined {
    return this.engine?.variant;
  }

  /** wasm: per-step timing of one run (which layers take the time, GFLOP/s each). */
  profile(input: Float32Array): StepProfile[] {
    this.checkLive();
    if (!this.engine) throw new MobileNetError('INVALID_ARGUMENT', 'profiling needs the wasm backend');
    return this.engine.profile(input, this.batchOf(input));
  }

  /** Activation bytes the engine allocates for a batch (arena + band buffers); ref: the cost model's plain schedule. */
  peakActivationBytes(batch = 1): number {
    this.checkLive();
    if (!Number.isSafeInteger(batch) || batch < 1) throw new MobileNetError('INVALID_ARGUMENT', `batch must be a positive integer, got ${show(batch)}`);
    return this.engine ? this.engine.peakActivationBytes(batch) : 4 * batch * activationMemory(this.graph).peakActivationElements;
  }

  static async create(graph: Graph, weights: NamedTensors | Weights, options: SessionOptions = {}): Promise<InferenceSession> {
    checkOptions(options);
    const backend = options.backend ?? 'wasm';
    const { weights: checked, report } = checkWeights(graph, weights as NamedTensors, { strict: options.strict ?? true });
    if (report.skipped.length) {
      // checkWeights leaves a misfit classifier to the caller under strict: false; nothing here could fill it.
      const given = weights as NamedTensors;
      const expected = new Map(graphParams(graph).map((p) => [p.name, formatShape(p.shape)]));
      const what = report.skipped.map((name) => `${name} ${expected.get(name)} ${given.has(name) ? `found ${formatShape(given.get(name)!.shape)}` : 'missing'}`);
      throw new MobileNetError(
        'WEIGHTS_MISMATCH',
        `weights do not fit ${graph.name}'s classifier: ${what.join(', ')}. strict: false ignores extra tensors, but a session cannot run without its classifier: give one of the graph's shape, build the graph with includeTop: false or the weights' number of classes, or load the file with readModel(…, { strict: false }), which gives the classifier fresh weights`,
      );
    }
    if (backend === 'wasm') {
      const engine = await WasmEngine.create(graph, checked, {
        threads: options.threads ?? defaultThreadCount(),
        memoryEfficient: options.memoryEfficient ?? 'auto',
        relaxed: options.relaxedSimd ?? true,
      });
      return new InferenceSession(graph, graph, checked, backend, engine);
    }
    const folded = options.foldBatchNorm === false ? { graph, weights: checked } : foldBatchNorm(graph, checked);
    return new InferenceSession(graph, folded.graph, folded.weights, backend);
  }

  /**
   * Run a batch. `input` is (N, H, W, 3) float32, already preprocessed; N is inferred from its
   * length. Returns logits (if the graph has a classifier) and whatever `request` asks for.
   */
  run(input: Float32Array, request: RunRequest = {}): RunResult {
    this.checkLive();
    const batch = this.batchOf(input);
    if (typeof request !== 'object' || request === null) {
      throw new MobileNetError('INVALID_ARGUMENT', `request must be an object such as { probabilities: true } (or left out), got ${show(request)}`);
    }
    const g = this.exec;
    const wanted = new Set<string>();
    if (g.outputs.logits) wanted.add(g.outputs.logits);
    if (request.embedding && g.outputs.embedding) wanted.add(g.outputs.embedding);
    if (request.features) wanted.add(g.outputs.features);
    if (request.taps) for (const t of g.taps) wanted.add(t.node);
    if (request.embedding && !g.outputs.embedding) {
      throw new MobileNetError('INVALID_ARGUMENT', `${g.name} has no pooled embedding (built with pooling 'none')`);
    }

    const values = this.engine
      ? this.engine.run(input, batch, [...wanted], Boolean(request.taps || request.features))
      : this.execute(input, batch, wanted);
    const tensor = (name: string): Tensor<'float32'> => {
      const node = g.nodes.find((n) => n.name === name);
      const shape = node ? node.shape : g.input.shape;
      return { dtype: 'float32', shape: [batch, ...shape], data: values.get(name)! };
    };
    const result: RunResult = {};
    if (g.outputs.logits) {
      result.logits = tensor(g.outputs.logits);
      if (request.probabilities) {
        const classes = result.logits.shape[1]!;
        const probs = new Float32Array(batch * classes);
        ref.softmax(result.logits.data, probs, { rows: batch, cols: classes });
        result.probabilities = { dtype: 'float32', shape: [batch, classes], data: probs };
      }
    } else if (request.probabilities) {
      throw new MobileNetError('INVALID_ARGUMENT', `${g.name} has no classifier (built with includeTop: false)`);
    }
    if (request.embedding && g.outputs.embedding) result.embedding = tensor(g.outputs.embedding);
    if (request.features) result.features = tensor(g.outputs.features);
    if (request.taps) result.taps = Object.fromEntries(g.taps.map((t) => [t.reduction, tensor(t.node)]));
    return result;
  }

  /** The batch size of an (N, H, W, 3) float32 input, N ≥ 1; what run() and profile() accept. */
  private batchOf(input: unknown): number {
    const perExample = shapeSize(this.inputShape);
    if (!(input instanceof Float32Array)) {
      throw new MobileNetError('SHAPE_MISMATCH', `input must be a Float32Array of shape (N, ${this.inputShape.join(', ')})`);
    }
    if (input.length === 0 || input.length % perExample !== 0) {
      throw new MobileNetError(
        'SHAPE_MISMATCH',
        `input has ${input.length} values, not a whole number of ${formatShape(this.inputShape)} examples (${perExample} values each); expected (N, ${this.inputShape.join(', ')}) NHWC`,
      );
    }
    return input.length / perExample;
  }

  /** After release() the weights are gone and the engine's workers have exited (waiting for them would hang). */
  private checkLive(): void {
    if (this.released) throw new MobileNetError('INVALID_ARGUMENT', 'this session was released');
  }

  /** Stops the worker threads and frees the weights; the session cannot run, profile or plan afterwards. */
  async release(): Promise<void> {
    this.released = true;
    this.weights.clear();
    await this.engine?.release();
  }

  private param(name: string): Float32Array {
    const t = this.weights.get(name);
    if (!t) throw new MobileNetError('INTERNAL', `parameter ${name} missing at run time`);
    return t.data;
  }

  private optionalParam(name: string): Float32Array | null {
    return this.weights.get(name)?.data ?? null;
  }

  /** Node-by-node execution; a value is dropped after its last reader unless it is wanted. */
  private execute(input: Float32Array, batch: number, wanted: Set<string>): Map<string, Float32Array> {
    const g = this.exec;
    const lastUse = new Map<string, number>();
    g.nodes.forEach((node, i) => node.inputs.forEach((name) => lastUse.set(name, i)));
    const values = new Map<string, Float32Array>([[g.input.name, input]]);
    const shapes = new Map<string, TensorShape>([[g.input.name, g.input.shape]]);
    g.nodes.forEach((node, i) => {
      const x = values.get(node.inputs[0]!)!;
      const inShape = shapes.get(node.inputs[0]!)!;
      const out = this.runNode(node, x, inShape, batch, values, lastUse.get(node.inputs[0]!) === i && !wanted.has(node.inputs[0]!) && node.inputs[0] !== g.input.name);
      values.set(node.name, out);
      shapes.set(node.name, node.shape);
      for (const name of node.inputs) if (lastUse.get(name) === i && !wanted.has(name) && name !== node.name) values.delete(name);
    });
    return values;
  }

  private runNode(
    node: GraphNode,
    x: Float32Array,
    inShape: TensorShape,
    batch: number,
    values: Map<string, Float32Array>,
    canOverwriteInput: boolean,
  ): Float32Array {
    const outLength = batch * shapeSize(node.shape);
    const fresh = () => new Float32Array(outLength);
    const [inH = 1, inW = 1] = inShape;
    const [outH = 1, outW = 1] = node.shape;
    switch (node.op) {
      case 'conv2d': {
        const out = fresh();
        ref.conv2d(x, this.param(`${node.name}.weight`), this.optionalParam(`${node.name}.bias`), out, conv2dDesc(node, inShape, batch));
        return out;
      }
      case 'depthwiseConv2d': {
        const out = fresh();
        ref.depthwiseConv2d(x, this.param(`${node.name}.weight`), this.optionalParam(`${node.name}.bias`), out, depthwiseDesc(node, inShape, batch));
        return out;
      }
      case 'pointwiseConv2d': {
        const out = fresh();
        ref.pointwiseConv2d(x, this.param(`${node.name}.weight`), this.optionalParam(`${node.name}.bias`), out, {
          pixels: batch * outH * outW, inChannels: node.attrs.inChannels, outChannels: node.attrs.outChannels,
        });
        return out;
      }
      case 'dense': {
        const out = fresh();
        ref.dense(x, this.param(`${node.name}.weight`), this.optionalParam(`${node.name}.bias`), out, {
          batch, inFeatures: node.attrs.inFeatures, outFeatures: node.attrs.outFeatures,
        });
        return out;
      }
      case 'batchNorm': {
        const out = canOverwriteInput ? x : fresh();
        ref.batchNormInference(x, out, {
          mean: this.param(`${node.name}.movingMean`), variance: this.param(`${node.name}.movingVariance`),
          gamma: this.param(`${node.name}.gamma`), beta: this.param(`${node.name}.beta`), epsilon: node.attrs.epsilon,
        }, { count: outLength / node.attrs.channels, channels: node.attrs.channels });
        return out;
      }
      case 'activation': {
        const out = canOverwriteInput ? x : fresh();
        ref.activation(x, out, node.attrs.fn, outLength);
        return out;
      }
      case 'add': {
        const out = canOverwriteInput ? x : fresh();
        ref.add(x, values.get(node.inputs[1]!)!, out, outLength);
        return out;
      }
      case 'globalPool': {
        const out = fresh();
        const desc = { batch, height: inH, width: inW, channels: node.shape[0]! };
        if (node.attrs.kind === 'avg') ref.globalAvgPool(x, out, desc);
        else ref.globalMaxPool(x, out, desc);
        return out;
      }
      case 'dropout':
        return x; // identity at inference
    }
  }
}
