import { checkPositiveInts } from './checks.js';
import { matrixProductBackward } from './pointwiseConv2dBackward.js';
import type { DenseDesc } from './types.js';

/**
 * Gradients of dense, Y (N, out) = X (N, in) · W (in, out) + b: gradInput = gradOutput · Wᵀ
 * (OVERWRITTEN), gradWeight += Xᵀ · gradOutput, gradBias += Σ_n gradOutput (ACCUMULATED, so a batch
 * can be split into chunks). Any of the three may be null to skip it.
 */
export function denseBackward(
  input: Float32Array, // (N, in)
  weight: Float32Array, // (in, out)
  gradOutput: Float32Array, // (N, out)
  gradInput: Float32Array | null, // (N, in), overwritten
  gradWeight: Float32Array | null, // (in, out), accumulated
  gradBias: Float32Array | null, // (out), accumulated
  desc: DenseDesc,
): void {
  const name = 'denseBackward';
  checkPositiveInts(name, desc, ['batch', 'inFeatures', 'outFeatures']);
  const { batch, inFeatures, outFeatures } = desc;
  matrixProductBackward(name, input, weight, gradOutput, gradInput, gradWeight, gradBias, batch, inFeatures, outFeatures,
    ['N', 'in', 'out']);
}
