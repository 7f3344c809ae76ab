/**
 * Learning-rate schedules: pure functions of the step and the number of steps per epoch.
 *
 * `step` counts optimizer updates done before the one the rate is for (0 for the first update, as
 * slim's `global_step` and torch's schedulers count), and `epoch = step / stepsPerEpoch` is
 * fractional. Durations are given in epochs (fractions allowed); pass `stepsPerEpoch = 1` to a
 * schedule to read them as steps.
 */
import { invalidArgument } from '../errors.js';

export type Schedule = (step: number, stepsPerEpoch: number) => number;

function check(what: string, value: number, min: number, minExclusive = false): number {
  if (!Number.isFinite(value) || (minExclusive ? value <= min : value < min)) {
    throw invalidArgument(`${what}: expected a finite number ${minExclusive ? '>' : '≥'} ${min}, got ${value}`);
  }
  return value;
}

/** The fractional epoch of `step`, after checking the arguments every schedule receives. */
function epochOf(step: number, stepsPerEpoch: number): number {
  check('schedule step', step, 0);
  check('schedule stepsPerEpoch', stepsPerEpoch, 0, true);
  return step / stepsPerEpoch;
}

/**
 * A duration in epochs as a number of steps. Durations that come out integral up to rounding
 * noise (1/3 epoch of 300 steps) are taken as that integer, so step counts do not drift by one.
 */
function stepsOf(epochs: number, stepsPerEpoch: number): number {
  const raw = epochs * stepsPerEpoch;
  const nearest = Math.round(raw);
  return Math.abs(raw - nearest) <= 1e-9 * Math.max(1, raw) ? nearest : raw;
}

export function constant(lr: number): Schedule {
  check('lr', lr, 0);
  return (step, stepsPerEpoch) => {
    epochOf(step, stepsPerEpoch);
    return lr;
  };
}

export interface ExponentialDecayOptions {
  lr: number;
  /** Factor per `epochsPerDecay` epochs: the MobileNetV2 paper's 0.98. */
  decayRate: number;
  /** Default 1 (slim's `--num_epochs_per_decay`; its default is 2). */
  epochsPerDecay?: number;
  /**
   * true: the rate drops at whole decay periods, lr·rate^⌊step / decaySteps⌋ (slim's
   * `tf.train.exponential_decay` with `staircase=True`), with decaySteps = ⌊stepsPerEpoch·epochsPerDecay⌋
   * counted in the batches an epoch really has. slim computes ⌊samples·epochsPerDecay / batch⌋: the
   * same with a whole epochsPerDecay, one step more at most with a fractional one when the last
   * partial batch is dropped. false (default): smooth, lr·rate^(epoch / epochsPerDecay).
   */
  staircase?: boolean;
}

/** lr·decayRate^(epoch / epochsPerDecay), smooth or staircase (the MobileNetV2 recipe: 0.045, ×0.98 per epoch). */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  const lr = check('lr', options.lr, 0);
  const rate = check('decayRate', options.decayRate, 0, true);
  const epochsPerDecay = check('epochsPerDecay', options.epochsPerDecay ?? 1, 0, true);
  const staircase = options.staircase ?? false;
  return (step, stepsPerEpoch) => {
    const epoch = epochOf(step, stepsPerEpoch);
    if (!staircase) return lr * rate ** (epoch / epochsPerDecay);
    const decaySteps = Math.max(1, Math.floor(stepsOf(epochsPerDecay, stepsPerEpoch)));
    return lr * rate ** Math.floor(step / decaySteps);
  };
}

export interface StepDecayOptions {
  lr: number;
  /** Epochs at which the rate is multiplied by `gamma` (from the first step of that epoch on). */
  milestones: readonly number[];
  /** Default 0.1. */
  gamma?: number;
}

/** lr·gamma^(number of milestones reached), torch's MultiStepLR with milestones in epochs. */
export function stepDecay(options: StepDecayOptions): Schedule {
  const lr = check('lr', options.lr, 0);
  const gamma = check('gamma', options.gamma ?? 0.1, 0);
  const milestones = options.milestones.map((m) => check('milestone', m, 0)).sort((a, b) => a - b);
  return (step, stepsPerEpoch) => {
    epochOf(step, stepsPerEpoch);
    let reached = 0;
    for (const m of milestones) if (step >= stepsOf(m, stepsPerEpoch)) reached++;
    return lr * gamma ** reached;
  };
}

export interface CosineOptions {
  lr: number;
  /** Length of the decay in epochs; after it the rate stays at `finalLr`. */
  epochs: number;
  /** Default 0 (torch's CosineAnnealingLR `eta_min`). */
  finalLr?: number;
}

/** finalLr + (lr − finalLr)·(1 + cos(π·epoch/epochs))/2, per step; finalLr after `epochs`. */
export function cosine(options: CosineOptions): Schedule {
  const lr = check('lr', options.lr, 0);
  const epochs = check('epochs', options.epochs, 0, true);
  const finalLr = check('finalLr', options.finalLr ?? 0, 0);
  return (step, stepsPerEpoch) => {
    const progress = Math.min(1, epochOf(step, stepsPerEpoch) / epochs);
    return finalLr + ((lr - finalLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

export interface WarmupOptions {
  /** Length of the warm-up in epochs (fractions allowed). Give this or `steps`. */
  epochs?: number;
  /** Length of the warm-up in steps. */
  steps?: number;
  /** Fraction of the target rate at step 0. Default 0. */
  startFactor?: number;
  /**
   * false (default): the wrapped schedule runs from step 0 and the warm-up scales its value.
   * true: the wrapped schedule starts after the warm-up (it sees step − warm-up steps), so the
   * warm-up ramps to its initial value.
   */
  shift?: boolean;
}

/**
 * Linear warm-up: for step < W the rate is inner·(startFactor + (1 − startFactor)·step/W), where
 * inner is the wrapped schedule's value (at step, or at 0 when shifted); from W on, the wrapped
 * schedule alone.
 */
export function warmup(inner: Schedule, options: WarmupOptions): Schedule {
  if ((options.epochs === undefined) === (options.steps === undefined)) {
    throw invalidArgument('warmup: give exactly one of epochs or steps');
  }
  const startFactor = check('warmup startFactor', options.startFactor ?? 0, 0);
  const shift = options.shift ?? false;
  if (options.epochs !== undefined) check('warmup epochs', options.epochs, 0);
  if (options.steps !== undefined) check('warmup steps', options.steps, 0);
  return (step, stepsPerEpoch) => {
    epochOf(step, stepsPerEpoch);
    const length = options.steps ?? stepsOf(options.epochs!, stepsPerEpoch);
    if (step >= length) return inner(shift ? step - length : step, stepsPerEpoch);
    const factor = startFactor + ((1 - startFactor) * step) / length;
    return factor * inner(shift ? 0 : step, stepsPerEpoch);
  };
}

/**
 * Stochastic weight averaging's learning rate (Izmailov et al. 2018): `inner` until epoch
 * `fromEpoch`, then `lr` held, so that the averaged epochs' weights still move apart (under a
 * schedule that has decayed to ~0 they barely differ and their mean is nearly the last point).
 */
export function holdFrom(inner: Schedule, fromEpoch: number, lr: number): Schedule {
  check('holdFrom fromEpoch', fromEpoch, 0);
  check('holdFrom lr', lr, 0, true);
  return (step, stepsPerEpoch) => {
    epochOf(step, stepsPerEpoch);
    return step < stepsOf(fromEpoch, stepsPerEpoch) ? inner(step, stepsPerEpoch) : lr;
  };
}
