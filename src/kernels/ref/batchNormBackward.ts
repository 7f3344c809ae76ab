import { checkArray, checkGradientsDisjoint, checkPositiveInts, checkSameOrDisjoint, fail } from './checks.js';
import type { BatchNormDesc, BatchNormSaved, BatchNormTrainingParams } from './types.js';

/**
 * Gradients of batchNormTraining (batch statistics, so the mean and variance depend on the input)
 * from the forward's input and the mean / invStd it saved. Per channel, with M = count,
 * x̂ = (x − mean) · invStd and dy = gradOutput:
 *
 *   gradBeta  += Σ dy
 *   gradGamma += Σ dy · x̂
 *   gradInput  = gamma · invStd · (dy − Σ dy / M − x̂ · Σ (dy · x̂) / M)   (overwritten)
 *
 * gradGamma and gradBeta are ACCUMULATED (+=) like every parameter gradient; any of the three
 * gradients may be null to skip it. gradInput may be gradOutput itself (in place). params.beta and
 * params.epsilon are not read (epsilon is already inside invStd); the same params object as the
 * forward's is passed for symmetry.
 *
 * This is the gradient of training-mode BN only: with frozen statistics (batchNormInference, or
 * fine-tuning with BN in eval mode) the gradient is simply gamma · invStd · dy.
 */
export function batchNormBackward(
  input: Float32Array, // (count, C), the forward's input
  gradOutput: Float32Array, // (count, C)
  gradInput: Float32Array | null, // (count, C), overwritten
  gradGamma: Float32Array | null, // (C), accumulated
  gradBeta: Float32Array | null, // (C), accumulated
  params: BatchNormTrainingParams,
  saved: BatchNormSaved, // mean, invStd from batchNormTraining
  desc: BatchNormDesc,
): void {
  const name = 'batchNormBackward';
  checkPositiveInts(name, desc, ['count', 'channels']);
  const { count, channels } = desc;
  if (params === null || typeof params !== 'object') fail(name, `params is ${String(params)}, expected { gamma, beta, epsilon }`);
  if (saved === null || typeof saved !== 'object') fail(name, `saved is ${String(saved)}, expected { mean, invStd }`);
  const { gamma } = params;
  const { mean, invStd } = saved;
  const length = count * channels;
  const shape = `(count=${count}, C=${channels})`;
  checkArray(name, 'input', input, length, shape);
  checkArray(name, 'gradOutput', gradOutput, length, shape);
  checkArray(name, 'params.gamma', gamma, channels, `(C=${channels})`);
  checkArray(name, 'saved.mean', mean, channels, `(C=${channels})`);
  checkArray(name, 'saved.invStd', invStd, channels, `(C=${channels})`);
  const parameterGradients: [string, Float32Array, number][] = [];
  if (gradGamma !== null) {
    checkArray(name, 'gradGamma', gradGamma, channels, `(C=${channels})`);
    parameterGradients.push(['gradGamma', gradGamma, channels]);
  }
  if (gradBeta !== null) {
    checkArray(name, 'gradBeta', gradBeta, channels, `(C=${channels})`);
    parameterGradients.push(['gradBeta', gradBeta, channels]);
  }
  const writes = [...parameterGradients];
  if (gradInput !== null) {
    checkArray(name, 'gradInput', gradInput, length, shape);
    // Element i of gradOutput is read just before element i of gradInput is written: in place is safe.
    checkSameOrDisjoint(name, gradInput, 'gradOutput', gradOutput, length);
    writes.push(['gradInput', gradInput, length]);
  }
  checkGradientsDisjoint(name, writes, [
    ['input', input, length], ['params.gamma', gamma, channels], ['saved.mean', mean, channels], ['saved.invStd', invStd, channels],
  ]);
  checkGradientsDisjoint(name, parameterGradients, [['gradOutput', gradOutput, length]]);

  for (let c = 0; c < channels; c++) {
    const mu = mean[c];
    const inverse = invStd[c];
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let row = 0; row < count; row++) {
      const i = row * channels + c;
      const dy = gradOutput[i];
      sumDy += dy;
      sumDyXhat += dy * (input[i] - mu) * inverse;
    }
    if (gradBeta !== null) gradBeta[c] = gradBeta[c] + sumDy;
    if (gradGamma !== null) gradGamma[c] = gradGamma[c] + sumDyXhat;
    if (gradInput !== null) {
      const scale = gamma[c] * inverse;
      const meanDy = sumDy / count;
      const meanDyXhat = sumDyXhat / count;
      for (let row = 0; row < count; row++) {
        const i = row * channels + c;
        const xhat = (input[i] - mu) * inverse;
        gradInput[i] = scale * (gradOutput[i] - meanDy - xhat * meanDyXhat);
      }
    }
  }
}
