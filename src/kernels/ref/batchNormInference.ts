import { checkArray, checkDisjoint, checkPositiveInts, checkSameOrDisjoint, fail } from './checks.js';
import type { BatchNormDesc, BatchNormParams } from './types.js';

/**
 * Batch normalization with frozen statistics: y = (x − mean) / sqrt(variance + epsilon) · gamma + beta,
 * per channel, on channels-last data seen as (count, C). May run in place (output === input).
 */
export function batchNormInference(
  input: Float32Array, // (count, C), e.g. (N·H·W, C)
  output: Float32Array, // (count, C)
  params: BatchNormParams, // mean, variance, gamma, beta: (C)
  desc: BatchNormDesc,
): void {
  const name = 'batchNormInference';
  checkPositiveInts(name, desc, ['count', 'channels']);
  const { count, channels } = desc;
  if (params === null || typeof params !== 'object') fail(name, `params is ${String(params)}, expected { mean, variance, gamma, beta, epsilon }`);
  const { mean, variance, gamma, beta, epsilon } = params;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    fail(name, `params.epsilon = ${String(epsilon)}, expected a finite number ≥ 0`);
  }
  const length = count * channels;
  checkArray(name, 'input', input, length, `(count=${count}, C=${channels})`);
  checkArray(name, 'output', output, length, `(count=${count}, C=${channels})`);
  checkArray(name, 'params.mean', mean, channels, `(C=${channels})`);
  checkArray(name, 'params.variance', variance, channels, `(C=${channels})`);
  checkArray(name, 'params.gamma', gamma, channels, `(C=${channels})`);
  checkArray(name, 'params.beta', beta, channels, `(C=${channels})`);
  checkSameOrDisjoint(name, output, 'input', input, length);
  for (const [paramName, param] of [['mean', mean], ['variance', variance], ['gamma', gamma], ['beta', beta]] as const) {
    checkDisjoint(name, output, length, `params.${paramName}`, param, channels);
  }

  for (let row = 0; row < count; row++) {
    const base = row * channels;
    for (let c = 0; c < channels; c++) {
      // Written as the textbook formula rather than a folded scale/shift: this is the definition
      // that the runtime's BN folding is tested against.
      output[base + c] = ((input[base + c] - mean[c]) / Math.sqrt(variance[c] + epsilon)) * gamma[c] + beta[c];
    }
  }
}
