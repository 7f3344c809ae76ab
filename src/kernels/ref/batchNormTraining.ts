import { checkArray, checkDisjoint, checkPositiveInts, checkSameOrDisjoint, fail } from './checks.js';
import type { BatchNormDesc, BatchNormSaved, BatchNormTrainingParams } from './types.js';

/**
 * Training-mode batch normalization on channels-last data seen as (count, C), count = N·H·W: each
 * channel is normalized with the statistics of the batch itself,
 *
 *   mean = Σ x / count,  var = Σ (x − mean)² / count (biased, as PyTorch and TensorFlow normalize),
 *   y = (x − mean) · invStd · gamma + beta,  invStd = 1 / sqrt(var + epsilon).
 *
 * mean and invStd are written to `saved` (float32, as PyTorch saves them) for batchNormBackward;
 * `saved.unbiasedVariance`, when given, receives var · count / (count − 1) for updateRunningStats.
 * The statistics are float64 sums (two passes: mean, then squared deviations) and the output uses
 * the float64 values. count must be at least 2, as in PyTorch ("Expected more than 1 value per
 * channel when training"): with one value the output is all beta and the unbiased variance is 0/0.
 *
 * May run in place (output === input), but batchNormBackward needs the input, so a training step
 * that normalizes in place must keep a copy.
 */
export function batchNormTraining(
  input: Float32Array, // (count, C)
  output: Float32Array, // (count, C)
  params: BatchNormTrainingParams, // gamma, beta: (C)
  saved: BatchNormSaved, // mean, invStd [, unbiasedVariance]: (C), written
  desc: BatchNormDesc,
): void {
  const name = 'batchNormTraining';
  checkPositiveInts(name, desc, ['count', 'channels']);
  const { count, channels } = desc;
  if (count < 2) fail(name, `desc.count = ${count}, expected at least 2 values per channel in training (PyTorch refuses 1 too)`);
  if (params === null || typeof params !== 'object') fail(name, `params is ${String(params)}, expected { gamma, beta, epsilon }`);
  if (saved === null || typeof saved !== 'object') fail(name, `saved is ${String(saved)}, expected { mean, invStd }`);
  const { gamma, beta, epsilon } = params;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    fail(name, `params.epsilon = ${String(epsilon)}, expected a finite number ≥ 0`);
  }
  const { mean, invStd } = saved;
  const unbiasedVariance = saved.unbiasedVariance ?? null;
  const length = count * channels;
  const shape = `(count=${count}, C=${channels})`;
  checkArray(name, 'input', input, length, shape);
  checkArray(name, 'output', output, length, shape);
  checkArray(name, 'params.gamma', gamma, channels, `(C=${channels})`);
  checkArray(name, 'params.beta', beta, channels, `(C=${channels})`);
  checkArray(name, 'saved.mean', mean, channels, `(C=${channels})`);
  checkArray(name, 'saved.invStd', invStd, channels, `(C=${channels})`);
  if (unbiasedVariance !== null) checkArray(name, 'saved.unbiasedVariance', unbiasedVariance, channels, `(C=${channels})`);
  checkSameOrDisjoint(name, output, 'input', input, length);
  const stats: [string, Float32Array][] = [['saved.mean', mean], ['saved.invStd', invStd]];
  if (unbiasedVariance !== null) stats.push(['saved.unbiasedVariance', unbiasedVariance]);
  for (const [statName, stat] of stats) {
    checkDisjoint(name, output, length, statName, stat, channels); // output vs a statistic
    checkDisjoint(name, stat, channels, 'input', input, length);
    checkDisjoint(name, stat, channels, 'params.gamma', gamma, channels);
    checkDisjoint(name, stat, channels, 'params.beta', beta, channels);
  }
  for (let i = 0; i < stats.length; i++) {
    for (let j = i + 1; j < stats.length; j++) checkDisjoint(name, stats[i]![1], channels, stats[j]![0], stats[j]![1], channels);
  }
  checkDisjoint(name, output, length, 'params.gamma', gamma, channels);
  checkDisjoint(name, output, length, 'params.beta', beta, channels);

  // Channel by channel, so that the statistics live in float64 locals (the kernel owns no scratch)
  // and running in place is safe: a channel's input is fully read before its output is written.
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let row = 0; row < count; row++) sum += input[row * channels + c];
    const batchMean = sum / count;
    let squares = 0;
    for (let row = 0; row < count; row++) {
      const d = input[row * channels + c] - batchMean;
      squares += d * d;
    }
    const variance = squares / count;
    const inverse = 1 / Math.sqrt(variance + epsilon);
    mean[c] = batchMean;
    invStd[c] = inverse;
    if (unbiasedVariance !== null) unbiasedVariance[c] = squares / (count - 1);
    const scale = inverse * gamma[c];
    const shift = beta[c];
    for (let row = 0; row < count; row++) {
      const i = row * channels + c;
      output[i] = (input[i] - batchMean) * scale + shift;
    }
  }
}
