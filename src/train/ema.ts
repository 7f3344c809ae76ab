/**
 * Exponential moving average of the weights, as TensorFlow's `ExponentialMovingAverage` keeps it
 * (slim trains MobileNets with decay 0.9999): a shadow copy per parameter, started at the
 * parameter's value, and after each training step
 *
 *   shadow ← shadow − (1 − d)·(shadow − w),   d = decay, or min(decay, (1 + n)/(10 + n)) with numUpdates
 *
 * where n counts the updates before this one (TF's `num_updates`, which slim sets to the global
 * step). The averaged weights are what gets evaluated and exported.
 */
import { MobileNetError, invalidArgument } from '../errors.js';
import { formatShape, shapeSize, type Tensor } from '../tensor.js';
import type { NamedState, ParamMap, ParamTensor } from './optimizers.js';

export interface EMAOptions {
  /** Default 0.9999 (slim's `--moving_average_decay` for MobileNets). */
  decay?: number;
  /**
   * Use TF's warm-up of the decay: min(decay, (1 + n)/(10 + n)), n = number of updates done
   * before (or the `step` passed to `update`). Default false.
   */
  numUpdates?: boolean;
  /**
   * Which parameters to average. Default: all given, moving statistics included (slim averages
   * all model variables, BN moving mean/variance among them).
   */
  include?: (name: string) => boolean;
}

/** The key of a parameter's average in the EMA's state (and so in a checkpoint, under `ema/`). */
export function emaStateKey(name: string): string {
  return `${name}/ema`;
}

export class WeightEMA {
  readonly decay: number;
  readonly useNumUpdates: boolean;
  private readonly shadows = new Map<string, Tensor<'float32'>>();
  private count = 0;

  /** Start the averages at the current values of `params` (copied). */
  constructor(params: ParamMap, options: EMAOptions = {}) {
    const decay = options.decay ?? 0.9999;
    if (!(Number.isFinite(decay) && decay >= 0 && decay <= 1)) throw invalidArgument(`EMA decay: expected a number in [0, 1], got ${decay}`);
    this.decay = decay;
    this.useNumUpdates = options.numUpdates ?? false;
    const include = options.include ?? (() => true);
    for (const [name, p] of params) {
      if (include(name)) this.shadows.set(name, { dtype: 'float32', shape: [...p.shape], data: p.data.slice() });
    }
  }

  /** Updates applied so far (the n of the next update unless a step is given). */
  get numUpdates(): number {
    return this.count;
  }

  /** Names of the averaged parameters. */
  names(): string[] {
    return [...this.shadows.keys()];
  }

  /** The decay an update with n previous updates uses. */
  decayAt(n: number): number {
    return this.useNumUpdates ? Math.min(this.decay, (1 + n) / (10 + n)) : this.decay;
  }

  /**
   * Fold the current `params` into the averages. `step` overrides n (TF passes the global step);
   * by default n is the number of previous updates.
   */
  update(params: ParamMap, step?: number): void {
    if (step !== undefined && !(Number.isFinite(step) && step >= 0)) throw invalidArgument(`EMA step: expected a number ≥ 0, got ${step}`);
    const rate = 1 - this.decayAt(step ?? this.count);
    for (const [name, shadow] of this.shadows) {
      const p = params.get(name);
      if (p === undefined) throw invalidArgument(`EMA update: parameter ${name} is missing`);
      const s = shadow.data;
      const w = p.data;
      if (w.length !== s.length) {
        throw new MobileNetError('SHAPE_MISMATCH', `EMA update: ${name} has ${w.length} values ${formatShape(p.shape)}, its average ${s.length}`);
      }
      for (let i = 0; i < s.length; i++) s[i] = s[i]! - rate * (s[i]! - w[i]!);
    }
    this.count++;
  }

  /** The averaged value of one parameter (a live view: copy it to keep it). */
  average(name: string): Float32Array | undefined {
    return this.shadows.get(name)?.data;
  }

  /**
   * Weights for evaluation or export: the averages (copied) where tracked, the given tensors
   * (shared, not copied) for anything else, in the order of `current`.
   */
  averagedWeights(current: ReadonlyMap<string, Tensor<'float32'>>): Map<string, Tensor<'float32'>> {
    const out = new Map<string, Tensor<'float32'>>();
    for (const [name, t] of current) {
      const s = this.shadows.get(name);
      out.set(name, s ? { dtype: 'float32', shape: [...t.shape], data: s.data.slice() } : t);
    }
    return out;
  }

  /** Overwrite `params` in place with the averages (e.g. before a final export). */
  copyTo(params: ReadonlyMap<string, ParamTensor>): void {
    for (const [name, s] of this.shadows) {
      const p = params.get(name);
      if (p === undefined) continue;
      if (p.data.length !== s.data.length) throw new MobileNetError('SHAPE_MISMATCH', `EMA copyTo: ${name} has ${p.data.length} values, its average ${s.data.length}`);
      p.data.set(s.data);
    }
  }

  state(): NamedState {
    const tensors = new Map<string, Tensor<'float32'>>();
    for (const [name, s] of this.shadows) tensors.set(emaStateKey(name), { dtype: 'float32', shape: [...s.shape], data: s.data.slice() });
    return { kind: 'ema', tensors, scalars: { numUpdates: this.count } };
  }

  /** Replace the averages and the update count with a copy of `state`; it must cover the same parameters. */
  loadState(state: NamedState): void {
    if (state.kind !== 'ema') throw invalidArgument(`EMA state: written by ${state.kind}, expected ema`);
    const problems: string[] = [];
    for (const [name, s] of this.shadows) {
      const t = state.tensors.get(emaStateKey(name));
      if (t === undefined) problems.push(`missing ${emaStateKey(name)}`);
      else if (t.data.length !== s.data.length || t.data.length !== shapeSize(t.shape)) {
        problems.push(`${name}/ema: ${t.data.length} values ${formatShape(t.shape)}, expected ${formatShape(s.shape)}`);
      }
    }
    for (const key of state.tensors.keys()) {
      if (!key.endsWith('/ema') || !this.shadows.has(key.slice(0, -4))) problems.push(`unexpected ${key}`);
    }
    const n = state.scalars.numUpdates;
    if (n === undefined || !Number.isSafeInteger(n) || n < 0) problems.push(`numUpdates = ${String(n)}`);
    if (problems.length) throw new MobileNetError('WEIGHTS_MISMATCH', `EMA state does not fit: ${problems.join('; ')}`);
    for (const [name, s] of this.shadows) s.data.set(state.tensors.get(emaStateKey(name))!.data);
    this.count = n!;
  }
}
