/**
 * The training loop's core, platform-free: one optimizer step per batch (forward in training mode,
 * softmax cross-entropy with label smoothing, backward, weight decay by the optimizer's rule, the
 * learning-rate schedule, the weight EMA), evaluation through a fast inference session, and a
 * complete state for exact resumption. Files, progress bars and signals live in src/node/train.ts.
 */
import { MobileNetError } from '../errors.js';
import type { Graph } from '../graph/build.js';
import * as ref from '../kernels/ref/index.js';
import { flipHorizontal } from '../data/augment.js';
import { InferenceSession } from '../runtime/session.js';
import { mulberry32, type Weights } from '../runtime/weights.js';
import { shapeSize, type Tensor } from '../tensor.js';
import { WeightEMA } from './ema.js';
import { TrainableNetwork } from './network.js';
import { FastTrainableNetwork } from './fast-network.js';
import { createOptimizer, graphParamInfo, type NamedState, type Optimizer, type OptimizerConfig } from './optimizers.js';
import { constant, cosine, exponentialDecay, holdFrom, stepDecay, warmup, type Schedule } from './schedules.js';

export interface ScheduleConfig {
  type: 'constant' | 'exponential' | 'cosine' | 'step';
  /** exponential: lr × rate every `epochsPerDecay` epochs (the V2 recipe: 0.98 per epoch). */
  decayRate?: number;
  epochsPerDecay?: number;
  staircase?: boolean;
  /** step: multiply by gamma at these epochs. */
  milestones?: number[];
  gamma?: number;
  /** Linear warm-up over this many epochs first. */
  warmupEpochs?: number;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  labelSmoothing: number;
  seed: number;
  /** Exponential moving average of the weights (0: off). Evaluation and export then use the average. */
  emaDecay: number;
  /** Train only the classifier on the frozen backbone's pooled features. */
  freezeBackbone: boolean;
  /**
   * Stochastic weight averaging: the exported model is the mean of the weights at the end of each
   * of the last `swaEpochs` epochs, with BN statistics recomputed (runTraining). Absent or 0: off.
   */
  swaEpochs?: number;
  /** With swaEpochs: the learning rate held during the averaged epochs (absent: the schedule goes on). */
  swaLr?: number;
}

export interface StepResult {
  loss: number;
  correct: number;
  size: number;
}

export interface Evaluation {
  accuracy: number;
  loss: number;
  /** Accuracy per class (recall); 0 for a class without test images (its confusion row is all 0). */
  perClass: number[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  count: number;
}

export interface EvalBatch {
  images: Float32Array;
  labels: Int32Array;
  /** Examples in this batch (the arrays may be longer). */
  size: number;
}

export interface EvaluateSessionOptions {
  /**
   * Test-time augmentation: also classify each image mirrored left–right and average the two
   * probability vectors (a standard flip TTA; twice the compute). Default false.
   */
  flip?: boolean;
}

/** Accuracy, mean loss, per-class accuracy and the confusion matrix of a session over batches. */
export function evaluateSession(session: InferenceSession, batches: Iterable<EvalBatch>, classes: number, options: EvaluateSessionOptions = {}): Evaluation {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const per = shapeSize(session.inputShape);
  let lossSum = 0;
  let count = 0;
  for (const b of batches) {
    const images = b.images.subarray(0, b.size * per);
    let p = session.run(images, { probabilities: true }).probabilities!.data;
    if (options.flip) {
      p = p.slice(); // the next run may reuse the session's output buffer
      const q = session.run(flipHorizontal(images, b.size * session.inputShape[0]!, session.inputShape[1]!, session.inputShape[2]!), { probabilities: true }).probabilities!.data;
      for (let i = 0; i < p.length; i++) p[i] = (p[i]! + q[i]!) / 2;
    }
    for (let n = 0; n < b.size; n++) {
      const row = p.subarray(n * classes, (n + 1) * classes);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += row[c]!;
      // NaN probabilities would all "predict" class 0 and report that class's share as the accuracy.
      if (!Number.isFinite(sum)) {
        throw new MobileNetError('DIVERGED', `the model's probabilities for test image ${count + 1} are not numbers (${sum}): its weights hold NaN or infinity (a diverged or corrupt model)`);
      }
      let best = 0;
      for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
      const label = b.labels[n]!;
      if (label >= classes) throw new MobileNetError('INVALID_ARGUMENT', `label ${label} but the model has ${classes} classes`);
      confusion[label]![best]!++;
      lossSum += -Math.log(Math.max(row[label]!, 1e-12));
      count++;
    }
  }
  const correct = confusion.reduce((sum, row, i) => sum + row[i]!, 0);
  const perClass = confusion.map((row, i) => row[i]! / Math.max(1, row.reduce((a, b) => a + b, 0)));
  return { accuracy: correct / Math.max(1, count), loss: lossSum / Math.max(1, count), perClass, confusion, count };
}

export function buildSchedule(lr: number, epochs: number, s: ScheduleConfig): Schedule {
  let schedule: Schedule;
  switch (s.type) {
    case 'constant':
      schedule = constant(lr);
      break;
    case 'exponential':
      schedule = exponentialDecay({ lr, decayRate: s.decayRate ?? 0.98, epochsPerDecay: s.epochsPerDecay ?? 1, staircase: s.staircase ?? false });
      break;
    case 'cosine':
      schedule = cosine({ lr, epochs });
      break;
    case 'step':
      schedule = stepDecay({ lr, milestones: s.milestones ?? [Math.round(epochs / 2), Math.round((3 * epochs) / 4)], gamma: s.gamma ?? 0.1 });
      break;
    default:
      throw new MobileNetError('INVALID_ARGUMENT', `schedule must be constant, exponential, cosine or step, got ${String((s as { type: unknown }).type)}`);
  }
  return s.warmupEpochs ? warmup(schedule, { epochs: s.warmupEpochs }) : schedule;
}

/** What the trainer needs of a network in training mode (reference or WebAssembly). */
export interface TrainingNetwork {
  readonly grads: Map<string, { data: Float32Array; shape: readonly number[] }>;
  zeroGrad(): void;
  forward(x: Float32Array, training: boolean, random?: () => number): Float32Array;
  backward(gradLogits: Float32Array): void;
  /** When set, training-mode forwards update the BN moving statistics with this decay. */
  batchNormDecayOverride: number | undefined;
}

export class Trainer {
  readonly graph: Graph;
  readonly params: Weights;
  readonly config: TrainConfig;
  readonly network: TrainingNetwork;
  readonly optimizer: Optimizer;
  readonly ema: WeightEMA | undefined;
  private readonly schedule: Schedule;
  /** Optimizer steps taken so far. */
  step = 0;
  private backbone: InferenceSession | undefined;

  private constructor(graph: Graph, params: Weights, config: TrainConfig, network: TrainingNetwork) {
    this.graph = graph;
    this.params = params;
    this.config = config;
    this.network = network;
    const info = graphParamInfo(graph).filter((p) => !config.freezeBackbone || p.name.startsWith('classifier.'));
    this.optimizer = createOptimizer(info, config.optimizer);
    const schedule = buildSchedule(config.lr, config.epochs, config.schedule);
    const swaEpochs = config.swaEpochs ?? 0;
    this.schedule = swaEpochs > 0 && config.swaLr !== undefined ? holdFrom(schedule, config.epochs - swaEpochs, config.swaLr) : schedule;
    this.ema = config.emaDecay > 0 ? new WeightEMA(params, { decay: config.emaDecay, numUpdates: true }) : undefined;
  }

  /**
   * `engine`: 'wasm' (default) trains on the WebAssembly kernels on `threads` threads (default: the
   * platform's cores), 'ref' on the reference kernels.
   */
  static async create(graph: Graph, params: Weights, config: TrainConfig, options: { engine?: 'wasm' | 'ref'; threads?: number } = {}): Promise<Trainer> {
    const network = (options.engine ?? 'wasm') === 'wasm'
      ? await FastTrainableNetwork.create(graph, params, options.threads === undefined ? {} : { threads: options.threads })
      : new TrainableNetwork(graph, params);
    return new Trainer(graph, params, config, network);
  }

  learningRate(stepsPerEpoch: number): number {
    return this.schedule(this.step, stepsPerEpoch);
  }

  /**
   * "Precise BN" (Wu & Johnson, "Rethinking batch in BatchNorm", 2021): replace the BN moving
   * averages by the plain mean, over `batches`, of each batch's statistics under the final weights.
   * Moving averages lag the weights when the learning rate stays high for most of a short run, and
   * evaluation then sees statistics of older weights. No weights change. Returns the images used;
   * 0 (nothing done) with a frozen backbone (its statistics belong to the pretrained model) or EMA
   * (evaluation uses the EMA of the moving statistics along with that of the weights, as TF-slim
   * averages tf.moving_average_variables() with the trainable ones).
   */
  recalibrateBatchNorm(batches: Iterable<EvalBatch>): number {
    if (this.config.freezeBackbone || this.ema) return 0;
    const per = shapeSize(this.graph.input.shape);
    let images = 0;
    let k = 0;
    try {
      for (const b of batches) {
        // running = k/(k+1)·running + 1/(k+1)·batch: the running value is the mean of the k+1 batches.
        this.network.batchNormDecayOverride = k / (k + 1);
        this.network.forward(b.images.subarray(0, b.size * per), true, mulberry32((this.config.seed * 7919 + k) >>> 0));
        images += b.size;
        k++;
      }
    } finally {
      this.network.batchNormDecayOverride = undefined;
    }
    return images;
  }

  /** One optimizer step on a batch ((N, H, W, 3) images, N labels). */
  async trainStep(images: Float32Array, labels: Int32Array, stepsPerEpoch: number): Promise<StepResult> {
    const size = labels.length;
    const classes = this.config.freezeBackbone || this.graph.outputs.logits ? this.classes() : 0;
    this.network.zeroGrad();
    let logits: Float32Array;
    let embedding: Float32Array | undefined;
    // Dropout draws from a PRNG seeded by (seed, step): a resumed run replays the same masks.
    const random = mulberry32((this.config.seed * 1_000_003 + this.step) >>> 0);
    if (this.config.freezeBackbone) {
      this.backbone ??= await InferenceSession.create(this.graph, this.params);
      embedding = this.backbone.run(images, { embedding: true }).embedding!.data;
      // The head keeps the graph's dropout, as torchvision's classifier does when its backbone is frozen.
      const dropout = this.graph.nodes.find((n) => n.op === 'dropout' && n.role === 'classifier');
      if (dropout && dropout.op === 'dropout' && dropout.attrs.rate > 0) {
        const dropped = new Float32Array(embedding.length);
        ref.dropoutForward(embedding, dropped, new Uint8Array(embedding.length), dropout.attrs.rate, random, embedding.length);
        embedding = dropped;
      }
      logits = new Float32Array(size * classes);
      const dense = this.graph.nodes.find((n) => n.name === 'classifier')!;
      const inFeatures = dense.op === 'dense' ? dense.attrs.inFeatures : 0;
      ref.dense(embedding, this.params.get('classifier.weight')!.data, this.params.get('classifier.bias')?.data ?? null, logits, { batch: size, inFeatures, outFeatures: classes });
    } else {
      logits = this.network.forward(images, true, random);
    }
    const probabilities = new Float32Array(logits.length);
    const desc = { rows: size, cols: classes, labelSmoothing: this.config.labelSmoothing };
    const loss = ref.softmaxCrossEntropy(logits, labels, new Float32Array(size), probabilities, desc);
    if (!Number.isFinite(loss)) {
      throw new MobileNetError('DIVERGED', `the loss is ${loss} at step ${this.step}: training diverged (try a lower learning rate)`);
    }
    const grad = new Float32Array(logits.length);
    ref.softmaxCrossEntropyBackward(probabilities, labels, grad, desc);
    if (embedding) {
      const dense = this.graph.nodes.find((n) => n.name === 'classifier')!;
      const inFeatures = dense.op === 'dense' ? dense.attrs.inFeatures : 0;
      ref.denseBackward(embedding, this.params.get('classifier.weight')!.data, grad, null, this.network.grads.get('classifier.weight')!.data, this.network.grads.get('classifier.bias')?.data ?? null, { batch: size, inFeatures, outFeatures: classes });
    } else {
      this.network.backward(grad);
    }
    this.optimizer.step(this.params, this.network.grads, this.learningRate(stepsPerEpoch));
    this.step++;
    this.ema?.update(this.params);
    let correct = 0;
    for (let n = 0; n < size; n++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[n * classes + c]! > logits[n * classes + best]!) best = c;
      if (best === labels[n]) correct++;
    }
    return { loss, correct, size };
  }

  classes(): number {
    const node = this.graph.nodes.find((n) => n.name === this.graph.outputs.logits);
    return node ? node.shape[0]! : 0;
  }

  /** The weights to evaluate and export: the EMA average when it is on. */
  evaluationWeights(): Weights {
    if (!this.ema) return this.params;
    const averaged = this.ema.averagedWeights(this.params);
    return averaged as Weights;
  }

  /** Accuracy, loss, per-class accuracy and confusion matrix over batches (no augmentation). */
  async evaluate(batches: Iterable<EvalBatch>, weights: Weights = this.evaluationWeights()): Promise<Evaluation> {
    const session = await InferenceSession.create(this.graph, weights);
    try {
      return evaluateSession(session, batches, this.classes());
    } finally {
      await session.release();
    }
  }

  /** Everything needed to continue exactly: weights, optimizer and EMA state, the step. */
  state(): { step: number; optimizer: NamedState; ema?: ReturnType<WeightEMA['state']> } {
    const s: { step: number; optimizer: NamedState; ema?: ReturnType<WeightEMA['state']> } = { step: this.step, optimizer: this.optimizer.state() };
    if (this.ema) s.ema = this.ema.state();
    return s;
  }

  loadState(state: { step: number; optimizer: NamedState; ema?: ReturnType<WeightEMA['state']> }): void {
    this.step = state.step;
    this.optimizer.loadState(state.optimizer);
    if (this.ema && state.ema) this.ema.loadState(state.ema);
  }

  async close(): Promise<void> {
    await this.backbone?.release();
    if (this.network instanceof FastTrainableNetwork) await this.network.close();
  }
}

export type { Tensor };
