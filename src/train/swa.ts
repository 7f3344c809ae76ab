/**
 * Stochastic weight averaging (Izmailov et al., 2018, "Averaging Weights Leads to Wider Optima and
 * Better Generalization"): the plain mean of the weights at the end of each of a run's last epochs.
 * The mean is kept incrementally in float32 (mean += (w − mean) / n), so a run resumed from a
 * checkpoint that stores it continues bit for bit. The BN moving statistics are averaged along with
 * the rest, but they belong to none of the averaged networks: the run recomputes them afterwards
 * (precise BN).
 */
import { MobileNetError } from '../errors.js';
import type { Weights } from '../runtime/weights.js';
import type { Tensor } from '../tensor.js';

export interface WeightAverageState {
  /** How many weight sets the mean holds. */
  count: number;
  tensors: Map<string, Tensor<'float32'>>;
}

export class WeightAverage {
  private count = 0;
  private readonly means = new Map<string, Tensor<'float32'>>();

  /** Adds one set of weights (copied) to the mean. */
  add(weights: Weights): void {
    this.count++;
    for (const [name, t] of weights) {
      const mean = this.means.get(name);
      if (mean === undefined) {
        if (this.count !== 1) throw new MobileNetError('INTERNAL', `weight average: '${name}' is new after ${this.count - 1} weight sets`);
        this.means.set(name, { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.data) });
        continue;
      }
      const m = mean.data;
      const w = t.data;
      if (w.length !== m.length) throw new MobileNetError('INTERNAL', `weight average: '${name}' has ${w.length} values, the mean ${m.length}`);
      const k = this.count;
      for (let i = 0; i < m.length; i++) m[i] = m[i]! + (w[i]! - m[i]!) / k;
    }
  }

  get size(): number {
    return this.count;
  }

  /** The mean weights (copies). */
  weights(): Weights {
    if (this.count === 0) throw new MobileNetError('INTERNAL', 'weight average: no weights were added');
    return new Map([...this.means].map(([name, t]) => [name, { dtype: 'float32' as const, shape: [...t.shape], data: Float32Array.from(t.data) }]));
  }

  /** The mean itself, not a copy (a checkpoint serializes it at once): read it, do not modify it. */
  state(): WeightAverageState {
    return { count: this.count, tensors: this.means };
  }

  static fromState(state: WeightAverageState): WeightAverage {
    const average = new WeightAverage();
    if (!Number.isSafeInteger(state.count) || state.count < 0 || (state.count > 0) !== (state.tensors.size > 0)) {
      throw new MobileNetError('INVALID_FORMAT', `weight average: ${state.count} weight sets with ${state.tensors.size} tensors`);
    }
    average.count = state.count;
    for (const [name, t] of state.tensors) average.means.set(name, { dtype: 'float32', shape: [...t.shape], data: Float32Array.from(t.data) });
    return average;
  }
}
