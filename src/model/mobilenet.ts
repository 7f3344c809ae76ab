/**
 * A ready model: graph + weights + metadata + a session. The common case in one object:
 * `model.classify(input)` → `[{ label, index, score }]`, `model.embed(input)` → (N, C).
 * Inputs here are preprocessed float32 NHWC batches; the Node adapter adds image files.
 */
import { MobileNetError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import { InferenceSession, type Backend, type RunRequest, type RunResult } from '../runtime/session.js';
import type { Weights } from '../runtime/weights.js';
import type { Tensor } from '../tensor.js';
import type { ModelMetadata } from './metadata.js';
import { writeOnnxModel, writeSafetensorsModel, type LoadedModel } from './load.js';

export interface Classification {
  label: string;
  /** Class index in the model's output. */
  index: number;
  /** Softmax probability. */
  score: number;
}

export interface MobileNetOptions {
  /** 'wasm' (default): the WebAssembly SIMD engine; 'ref': the reference kernels. */
  backend?: Backend;
  /** wasm: threads including the caller (default: the machine's cores in Node, else 1). */
  threads?: number;
  /** wasm: MobileNetV2 §5.1 memory-efficient inverted residuals (default 'auto': for batches > 1). */
  memoryEfficient?: boolean | 'auto';
}

export class MobileNet {
  readonly graph: Graph;
  readonly weights: Weights;
  readonly metadata: ModelMetadata;
  readonly session: InferenceSession;

  private constructor(loaded: LoadedModel, session: InferenceSession) {
    this.graph = loaded.graph;
    this.weights = loaded.weights;
    this.metadata = loaded.metadata;
    this.session = session;
  }

  static async create(loaded: LoadedModel, options: MobileNetOptions = {}): Promise<MobileNet> {
    const session = await InferenceSession.create(loaded.graph, loaded.weights, options);
    return new MobileNet(loaded, session);
  }

  /** Per-example input shape (H, W, 3). */
  get inputShape(): readonly number[] {
    return this.graph.input.shape;
  }

  get classes(): number {
    const logits = this.graph.outputs.logits;
    return logits ? this.graph.nodes.find((n) => n.name === logits)!.shape[0]! : 0;
  }

  /** Label of class i: the metadata's, or `class_i` when the weights carry none. */
  label(i: number): string {
    return this.metadata.labels[i] ?? `class_${i}`;
  }

  run(input: Float32Array, request: RunRequest = {}): RunResult {
    return this.session.run(input, request);
  }

  /** Top-k classes per example, most probable first. */
  classify(input: Float32Array, topK = 5): Classification[][] {
    if (!Number.isInteger(topK) || topK < 1) throw new MobileNetError('INVALID_ARGUMENT', `top k must be a positive integer, got ${topK}`);
    if (!this.graph.outputs.logits) throw new MobileNetError('INVALID_ARGUMENT', `${this.graph.name} has no classifier; use embed()`);
    const { probabilities } = this.session.run(input, { probabilities: true });
    const [batch, classes] = probabilities!.shape as [number, number];
    const k = Math.min(topK, classes);
    const results: Classification[][] = [];
    for (let n = 0; n < batch; n++) {
      const row = probabilities!.data.subarray(n * classes, (n + 1) * classes);
      const order = Array.from({ length: classes }, (_, i) => i).sort((a, b) => row[b]! - row[a]! || a - b);
      results.push(order.slice(0, k).map((index) => ({ label: this.label(index), index, score: row[index]! })));
    }
    return results;
  }

  /** The pooled feature vector per example: (N, C). */
  embed(input: Float32Array): Tensor<'float32'> {
    const { embedding } = this.session.run(input, { embedding: true });
    return embedding!;
  }

  /** Stops worker threads; the model cannot run afterwards. */
  async release(): Promise<void> {
    await this.session.release();
  }

  toSafetensors(): Uint8Array {
    return writeSafetensorsModel(this.loaded());
  }

  toOnnx(): Uint8Array {
    return writeOnnxModel(this.loaded());
  }

  private loaded(): LoadedModel {
    return { graph: this.graph, weights: this.weights, metadata: this.metadata };
  }
}
