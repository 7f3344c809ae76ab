/**
 * Optimizers over named float32 parameters: RMSprop (TensorFlow's and PyTorch's variants), SGD with
 * momentum/Nesterov and AdamW, with a per-parameter weight-decay rule and a serializable state so
 * that training resumes bit for bit.
 *
 * Every optimizer updates `params` in place from `grads` (never modified) at a learning rate given
 * per step, so any schedule can drive it. Arithmetic is done in float64 per element and every
 * stored value (parameter or slot) is rounded to float32 once; the next step reads the stored value.
 */
import { MobileNetError, invalidArgument } from '../errors.js';
import type { Graph } from '../graph/build.js';
import { nodeParams, type OpType, type ParamKind } from '../graph/ops.js';
import { formatShape, shapeSize, type Tensor } from '../tensor.js';

/** A parameter as the optimizer sees it: float32 data (updated in place) and its shape. */
export interface ParamTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Parameters (or gradients) by name; `Weights` from `runtime/weights.ts` fits. */
export type ParamMap = ReadonlyMap<string, ParamTensor>;

/** What the optimizer needs to know of a parameter besides its values: its role and owner op. */
export interface ParamInfo {
  /** `<node name>.<kind>`, e.g. `blocks.3.dw.conv.weight`. */
  readonly name: string;
  readonly kind: ParamKind;
  /** The op of the owning node: depthwise filters are `depthwiseConv2d` weights. */
  readonly op: OpType;
}

/**
 * Optimizer (and EMA) state: named float32 tensors plus a few scalars, everything needed to resume
 * exactly. `kind` names the algorithm that wrote it (`sgd`, `rmsprop-tensorflow`, …) and is checked
 * on load. Slot tensors are named `<param name>/<slot>` (`blocks.3.dw.conv.weight/momentum`).
 */
export interface NamedState {
  kind: string;
  tensors: Map<string, Tensor<'float32'>>;
  scalars: Record<string, number>;
}

/** Decides per parameter whether weight decay applies. Moving statistics never reach it. */
export type DecayFilter = (name: string, kind: ParamKind, op: OpType) => boolean;

export interface DecayRuleOptions {
  /**
   * Decay depthwise filters too. Default false: the MobileNetV1 paper puts "very little or no weight
   * decay" on depthwise filters (they have few parameters), as slim's `regularize_depthwise=False`.
   */
  decayDepthwise?: boolean;
  /** Decay batch-norm γ and β. Default false. */
  decayBatchNorm?: boolean;
  /** Decay biases (the classifier's). Default false. */
  decayBias?: boolean;
}

export interface WeightDecayOptions extends DecayRuleOptions {
  /**
   * Coefficient λ of the decay. For SGD and RMSprop it is coupled (L2): the gradient becomes
   * g + λ·w, which is what slim's `l2_regularizer(λ)` (λ·Σw²/2) and torch's `weight_decay` give —
   * so slim's `--weight_decay=0.00004` is λ = 4e-5 (Keras' `l2(l)` is l·Σw², i.e. λ = 2l).
   * For AdamW it is decoupled: w ← w·(1 − lr·λ) before the Adam step. Default 0 (AdamW: 0.01).
   */
  weightDecay?: number;
  /** Overrides the rule built from `decayDepthwise`/`decayBatchNorm`/`decayBias`. */
  decayFilter?: DecayFilter;
}

export interface Optimizer {
  /** `sgd`, `adamw`, `rmsprop-tensorflow` or `rmsprop-pytorch`; the `kind` of its state. */
  readonly kind: string;
  /** Update `params` in place from `grads` at learning rate `lr`. Parameters without a gradient are skipped. */
  step(params: ParamMap, grads: ParamMap, lr: number): void;
  /** A deep copy of the state. */
  state(): NamedState;
  /** Replace the state with a copy of `state` (as written by `state()` of the same kind of optimizer). */
  loadState(state: NamedState): void;
}

export interface SGDOptions extends WeightDecayOptions {
  /** Default 0 (plain SGD). */
  momentum?: number;
  /** Default 0. */
  dampening?: number;
  /** Default false; requires momentum > 0 and dampening 0, as torch does. */
  nesterov?: boolean;
}

export interface RMSpropOptions extends WeightDecayOptions {
  /**
   * 'tensorflow' (default): TF's ApplyRMSProp as both MobileNet papers trained with — ε inside the
   * square root, the learning rate inside the momentum buffer.
   * 'pytorch': torch.optim.RMSprop — ε added after the square root, the buffer without the lr.
   */
  style?: 'tensorflow' | 'pytorch';
  /** Decay of the mean square (TF `decay`/`rho`, torch `alpha`). Default 0.9 (TF's and the papers'; torch's default is 0.99). */
  rho?: number;
  /** Default 0.9 (the papers'; TF's and torch's default is 0). */
  momentum?: number;
  /**
   * Default 1.0 for 'tensorflow' (slim's `--opt_epsilon` used for MobileNets; TF1's own default is
   * 1e-10, Keras' 1e-7) and 1e-8 for 'pytorch' (torch's default).
   */
  epsilon?: number;
  /** Start of the mean-square slot: default 1.0 for 'tensorflow' (TF1's RMSPropOptimizer), 0 for 'pytorch' (and Keras 2). */
  initialMeanSquare?: number;
  /** Normalize by the variance (ms − mg²) instead of the mean square. Default false. */
  centered?: boolean;
}

export interface AdamWOptions extends WeightDecayOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** Default false. */
  amsgrad?: boolean;
}

export type OptimizerConfig =
  | ({ type: 'sgd' } & SGDOptions)
  | ({ type: 'rmsprop' } & RMSpropOptions)
  | ({ type: 'adamw' } & AdamWOptions);

// ---- Parameters and the weight-decay rule ----

/** Moving statistics are buffers, not trainable parameters: optimizers never touch them. */
export function isTrainableKind(kind: ParamKind): boolean {
  return kind !== 'movingMean' && kind !== 'movingVariance';
}

/** Every parameter of a graph with its kind and owning op, in graph order (moving statistics included). */
export function graphParamInfo(graph: Graph): ParamInfo[] {
  return graph.nodes.flatMap((node) => nodeParams(node).map((p) => ({ name: p.name, kind: p.kind, op: node.op })));
}

/**
 * The default decay rule: conv and dense weights are decayed, depthwise filters, BN γ/β and biases
 * are not unless asked for.
 */
export function defaultDecayFilter(options: DecayRuleOptions = {}): DecayFilter {
  const { decayDepthwise = false, decayBatchNorm = false, decayBias = false } = options;
  return (_name, kind, op) => {
    switch (kind) {
      case 'weight':
        return op !== 'depthwiseConv2d' || decayDepthwise;
      case 'bias':
        return decayBias;
      case 'gamma':
      case 'beta':
        return decayBatchNorm;
      case 'movingMean':
      case 'movingVariance':
        return false;
    }
  };
}

// ---- Shared machinery ----

interface Entry {
  readonly name: string;
  /** λ for this parameter: the weight decay, or 0 where the rule says no. */
  readonly decay: number;
}

function checkNumber(what: string, value: number, min: number, max = Infinity, minExclusive = false): number {
  const ok = Number.isFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
  if (!ok) {
    const range = `${minExclusive ? '>' : '≥'} ${min}${max === Infinity ? '' : ` and ≤ ${max}`}`;
    throw invalidArgument(`${what}: expected a number ${range}, got ${value}`);
  }
  return value;
}

function copyTensor(data: Float32Array, shape: readonly number[]): Tensor<'float32'> {
  return { dtype: 'float32', shape: [...shape], data: data.slice() };
}

/** Base class: parameter bookkeeping, slots by name, state save/load. */
abstract class SlotOptimizer implements Optimizer {
  abstract readonly kind: string;
  protected readonly entries: readonly Entry[];
  /** Slots by `<param>/<slot>`: created at a parameter's first update. */
  protected readonly slots = new Map<string, Tensor<'float32'>>();
  /** Per-parameter and global counters (`steps`, AdamW's `<param>/step`). */
  protected scalars: Record<string, number> = { steps: 0 };
  /** Slot names this optimizer creates with its options, for checking loaded states. */
  protected abstract readonly slotNames: readonly string[];

  constructor(params: readonly ParamInfo[], options: WeightDecayOptions, defaultWeightDecay: number) {
    const weightDecay = checkNumber('weightDecay', options.weightDecay ?? defaultWeightDecay, 0);
    const filter = options.decayFilter ?? defaultDecayFilter(options);
    const seen = new Set<string>();
    const entries: Entry[] = [];
    for (const p of params) {
      if (seen.has(p.name)) throw invalidArgument(`optimizer: parameter ${p.name} is listed twice`);
      seen.add(p.name);
      if (!isTrainableKind(p.kind)) continue;
      entries.push({ name: p.name, decay: weightDecay > 0 && filter(p.name, p.kind, p.op) ? weightDecay : 0 });
    }
    this.entries = entries;
  }

  /** Names of the parameters this optimizer updates, with the weight decay each gets. */
  parameters(): Array<{ name: string; weightDecay: number }> {
    return this.entries.map((e) => ({ name: e.name, weightDecay: e.decay }));
  }

  step(params: ParamMap, grads: ParamMap, lr: number): void {
    checkNumber('learning rate', lr, 0);
    for (const entry of this.entries) {
      const grad = grads.get(entry.name);
      if (grad === undefined) continue;
      const param = params.get(entry.name);
      if (param === undefined) throw invalidArgument(`optimizer step: gradient for ${entry.name} but no such parameter`);
      if (grad.data.length !== param.data.length) {
        throw new MobileNetError(
          'SHAPE_MISMATCH',
          `optimizer step: gradient of ${entry.name} has ${grad.data.length} values ${formatShape(grad.shape)}, the parameter ${param.data.length} ${formatShape(param.shape)}`,
        );
      }
      this.update(entry, param, grad.data, lr);
    }
    this.scalars.steps = (this.scalars.steps ?? 0) + 1;
  }

  protected abstract update(entry: Entry, param: ParamTensor, grad: Float32Array, lr: number): void;

  /** The slot `<param>/<slot>`, created filled with `init` on first use. */
  protected slot(param: string, slot: string, like: ParamTensor, init = 0): Float32Array {
    const key = `${param}/${slot}`;
    let t = this.slots.get(key);
    if (t === undefined) {
      const data = new Float32Array(like.data.length);
      if (init !== 0) data.fill(init);
      t = { dtype: 'float32', shape: [...like.shape], data };
      this.slots.set(key, t);
    }
    return t.data;
  }

  protected hasSlot(param: string, slot: string): boolean {
    return this.slots.has(`${param}/${slot}`);
  }

  state(): NamedState {
    const tensors = new Map<string, Tensor<'float32'>>();
    for (const [name, t] of this.slots) tensors.set(name, copyTensor(t.data, t.shape));
    return { kind: this.kind, tensors, scalars: { ...this.scalars } };
  }

  loadState(state: NamedState): void {
    if (state.kind !== this.kind) throw invalidArgument(`optimizer state: written by ${state.kind}, cannot load into ${this.kind}`);
    const known = new Set(this.entries.map((e) => e.name));
    const slotNames = new Set(this.slotNames);
    const problems: string[] = [];
    for (const [key, t] of state.tensors) {
      const cut = key.lastIndexOf('/');
      const param = key.slice(0, cut);
      const slot = key.slice(cut + 1);
      if (cut < 0 || !known.has(param) || !slotNames.has(slot)) problems.push(`unexpected ${key}`);
      else if (t.dtype !== 'float32' || t.data.length !== shapeSize(t.shape)) problems.push(`${key}: expected float32 data matching ${formatShape(t.shape)}`);
    }
    for (const [key, value] of Object.entries(state.scalars)) {
      const perParam = key.endsWith('/step') && known.has(key.slice(0, -5));
      if (key !== 'steps' && !perParam) problems.push(`unexpected scalar ${key}`);
      else if (!Number.isSafeInteger(value) || value < 0) problems.push(`scalar ${key} = ${value}`);
    }
    if (problems.length) throw new MobileNetError('WEIGHTS_MISMATCH', `optimizer state does not fit this ${this.kind} optimizer: ${problems.join('; ')}`);
    this.slots.clear();
    for (const [key, t] of state.tensors) this.slots.set(key, copyTensor(t.data, t.shape));
    this.scalars = { steps: 0, ...state.scalars };
  }

  /** Check, at the first update after a load, that a loaded slot has the parameter's size. */
  protected checkSlot(param: string, slot: string, like: ParamTensor): void {
    const t = this.slots.get(`${param}/${slot}`);
    if (t !== undefined && t.data.length !== like.data.length) {
      throw new MobileNetError('WEIGHTS_MISMATCH', `optimizer state ${param}/${slot} has ${t.data.length} values, the parameter ${like.data.length} ${formatShape(like.shape)}`);
    }
  }
}

// ---- SGD (torch.optim.SGD) ----

/**
 * torch.optim.SGD: d = g + λ·w; with momentum μ: b = d at the first step, then b = μ·b + (1 − τ)·d
 * (τ = dampening); d = d + μ·b (Nesterov) or d = b; w ← w − lr·d.
 */
export class SGD extends SlotOptimizer {
  readonly kind = 'sgd';
  protected readonly slotNames: readonly string[];
  private readonly momentum: number;
  private readonly dampening: number;
  private readonly nesterov: boolean;

  constructor(params: readonly ParamInfo[], options: SGDOptions = {}) {
    super(params, options, 0);
    this.momentum = checkNumber('momentum', options.momentum ?? 0, 0);
    this.dampening = checkNumber('dampening', options.dampening ?? 0, 0, 1);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw invalidArgument(`SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
    this.slotNames = this.momentum > 0 ? ['momentum'] : [];
  }

  protected update(entry: Entry, param: ParamTensor, grad: Float32Array, lr: number): void {
    const w = param.data;
    const n = w.length;
    const lambda = entry.decay;
    const mu = this.momentum;
    if (mu === 0) {
      for (let i = 0; i < n; i++) w[i] = w[i]! - lr * (grad[i]! + lambda * w[i]!);
      return;
    }
    this.checkSlot(entry.name, 'momentum', param);
    const first = !this.hasSlot(entry.name, 'momentum');
    const buf = this.slot(entry.name, 'momentum', param);
    const keep = 1 - this.dampening;
    for (let i = 0; i < n; i++) {
      const d = Math.fround(grad[i]! + lambda * w[i]!);
      const b = Math.fround(first ? d : mu * buf[i]! + keep * d);
      buf[i] = b;
      w[i] = w[i]! - lr * (this.nesterov ? d + mu * b : b);
    }
  }
}

// ---- RMSprop ----

/**
 * RMSprop in TensorFlow's or PyTorch's form (`style`). With g = grad + λ·w:
 *
 * tensorflow (ApplyRMSProp / ApplyCenteredRMSProp):
 *   ms ← ρ·ms + (1 − ρ)·g²                [mg ← ρ·mg + (1 − ρ)·g when centered]
 *   mom ← μ·mom + lr·g / √(ms + ε)         [√(ms − mg² + ε) when centered]
 *   w ← w − mom
 * pytorch (torch.optim.RMSprop):
 *   ms ← ρ·ms + (1 − ρ)·g²                [mg likewise]
 *   a = √ms + ε                            [√(ms − mg²) + ε when centered]
 *   buf ← μ·buf + g / a;  w ← w − lr·buf  (w ← w − lr·g / a when μ = 0)
 *
 * The two differ beyond ε: TF folds the lr into the momentum buffer, so a changed lr only scales
 * new contributions, while torch rescales the whole buffer. With μ = 0 the TF form is
 * w ← w − lr·g/√(ms + ε) (ApplyRMSProp; note Keras 2 without momentum puts ε outside the root).
 */
export class RMSprop extends SlotOptimizer {
  readonly kind: 'rmsprop-tensorflow' | 'rmsprop-pytorch';
  protected readonly slotNames: readonly string[];
  private readonly rho: number;
  private readonly momentum: number;
  private readonly epsilon: number;
  private readonly initialMeanSquare: number;
  private readonly centered: boolean;

  constructor(params: readonly ParamInfo[], options: RMSpropOptions = {}) {
    super(params, options, 0);
    const style = options.style ?? 'tensorflow';
    if (style !== 'tensorflow' && style !== 'pytorch') throw invalidArgument(`RMSprop style: expected 'tensorflow' or 'pytorch', got ${String(style)}`);
    this.kind = `rmsprop-${style}`;
    const tf = style === 'tensorflow';
    this.rho = checkNumber('RMSprop rho', options.rho ?? 0.9, 0, 1);
    this.momentum = checkNumber('RMSprop momentum', options.momentum ?? 0.9, 0);
    this.epsilon = checkNumber('RMSprop epsilon', options.epsilon ?? (tf ? 1.0 : 1e-8), 0);
    this.initialMeanSquare = checkNumber('RMSprop initialMeanSquare', options.initialMeanSquare ?? (tf ? 1.0 : 0), 0);
    this.centered = options.centered ?? false;
    this.slotNames = ['ms', ...(this.centered ? ['mg'] : []), ...(this.momentum > 0 ? ['momentum'] : [])];
  }

  protected update(entry: Entry, param: ParamTensor, grad: Float32Array, lr: number): void {
    const w = param.data;
    const n = w.length;
    const lambda = entry.decay;
    const { rho, momentum: mu, epsilon: eps, centered } = this;
    const keep = 1 - rho;
    for (const s of this.slotNames) this.checkSlot(entry.name, s, param);
    const ms = this.slot(entry.name, 'ms', param, this.initialMeanSquare);
    const mg = centered ? this.slot(entry.name, 'mg', param) : undefined;
    const mom = mu !== 0 ? this.slot(entry.name, 'momentum', param) : undefined;
    const tf = this.kind === 'rmsprop-tensorflow';
    for (let i = 0; i < n; i++) {
      const g = Math.fround(grad[i]! + lambda * w[i]!);
      const s = Math.fround(rho * ms[i]! + keep * g * g);
      ms[i] = s;
      let variance = s;
      if (mg !== undefined) {
        const m = Math.fround(rho * mg[i]! + keep * g);
        mg[i] = m;
        variance = s - m * m;
      }
      if (tf) {
        const delta = (lr * g) / Math.sqrt(variance + eps);
        if (mom !== undefined) {
          const b = Math.fround(mu * mom[i]! + delta);
          mom[i] = b;
          w[i] = w[i]! - b;
        } else {
          w[i] = w[i]! - delta;
        }
      } else {
        const scaled = g / (Math.sqrt(variance) + eps);
        if (mom !== undefined) {
          const b = Math.fround(mu * mom[i]! + scaled);
          mom[i] = b;
          w[i] = w[i]! - lr * b;
        } else {
          w[i] = w[i]! - lr * scaled;
        }
      }
    }
  }
}

// ---- AdamW (torch.optim.AdamW) ----

/**
 * torch.optim.AdamW, per parameter with its own step count t:
 *   t ← t + 1;  w ← w·(1 − lr·λ)
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²   [v̂ ← max(v̂, v) with amsgrad]
 *   w ← w − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 */
export class AdamW extends SlotOptimizer {
  readonly kind = 'adamw';
  protected readonly slotNames: readonly string[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly amsgrad: boolean;

  constructor(params: readonly ParamInfo[], options: AdamWOptions = {}) {
    super(params, options, 0.01);
    this.beta1 = checkNumber('AdamW beta1', options.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkNumber('AdamW beta2', options.beta2 ?? 0.999, 0, 1);
    if (this.beta1 === 1 || this.beta2 === 1) throw invalidArgument(`AdamW betas: expected values < 1, got ${this.beta1}, ${this.beta2}`);
    this.epsilon = checkNumber('AdamW epsilon', options.epsilon ?? 1e-8, 0);
    this.amsgrad = options.amsgrad ?? false;
    this.slotNames = ['exp_avg', 'exp_avg_sq', ...(this.amsgrad ? ['max_exp_avg_sq'] : [])];
  }

  protected update(entry: Entry, param: ParamTensor, grad: Float32Array, lr: number): void {
    const w = param.data;
    const n = w.length;
    const { beta1, beta2, epsilon: eps } = this;
    for (const s of this.slotNames) this.checkSlot(entry.name, s, param);
    const stepKey = `${entry.name}/step`;
    const t = (this.scalars[stepKey] ?? 0) + 1;
    this.scalars[stepKey] = t;
    const m = this.slot(entry.name, 'exp_avg', param);
    const v = this.slot(entry.name, 'exp_avg_sq', param);
    const vMax = this.amsgrad ? this.slot(entry.name, 'max_exp_avg_sq', param) : undefined;
    const shrink = 1 - lr * entry.decay;
    const stepSize = lr / (1 - beta1 ** t);
    const correction2 = Math.sqrt(1 - beta2 ** t);
    for (let i = 0; i < n; i++) {
      const g = grad[i]!;
      const decayed = Math.fround(w[i]! * shrink);
      const mi = Math.fround(beta1 * m[i]! + (1 - beta1) * g);
      m[i] = mi;
      let vi = Math.fround(beta2 * v[i]! + (1 - beta2) * g * g);
      v[i] = vi;
      if (vMax !== undefined) {
        vi = Math.max(vMax[i]!, vi);
        vMax[i] = vi;
      }
      w[i] = decayed - (stepSize * mi) / (Math.sqrt(vi) / correction2 + eps);
    }
  }
}

/** An optimizer from a plain config object (`{ type: 'rmsprop', momentum: 0.9, … }`). */
export function createOptimizer(params: readonly ParamInfo[], config: OptimizerConfig): Optimizer {
  switch (config.type) {
    case 'sgd':
      return new SGD(params, config);
    case 'rmsprop':
      return new RMSprop(params, config);
    case 'adamw':
      return new AdamW(params, config);
    default:
      throw invalidArgument(`optimizer type: expected 'sgd', 'rmsprop' or 'adamw', got ${String((config as { type?: unknown }).type)}`);
  }
}
