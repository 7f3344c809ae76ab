import { checkBackwardOperands, checkPositiveInts } from './checks.js';
import { accumulateChannelSums } from './conv2dBackward.js';
import type { PointwiseConv2dDesc } from './types.js';

/**
 * Gradients of pointwiseConv2d, the matrix product Y (P, Cout) = X (P, Cin) · W (Cin, Cout) + b:
 * gradInput = gradOutput · Wᵀ (OVERWRITTEN), gradWeight += Xᵀ · gradOutput and gradBias += the
 * column sums of gradOutput (ACCUMULATED, so a batch can be split into chunks). Any of the three may
 * be null to skip it. Each element is one float64 sum.
 */
export function pointwiseConv2dBackward(
  input: Float32Array, // (P, Cin), P = N·H·W
  weight: Float32Array, // (Cin, Cout)
  gradOutput: Float32Array, // (P, Cout)
  gradInput: Float32Array | null, // (P, Cin), overwritten
  gradWeight: Float32Array | null, // (Cin, Cout), accumulated
  gradBias: Float32Array | null, // (Cout), accumulated
  desc: PointwiseConv2dDesc,
): void {
  const name = 'pointwiseConv2dBackward';
  checkPositiveInts(name, desc, ['pixels', 'inChannels', 'outChannels']);
  const { pixels, inChannels, outChannels } = desc;
  matrixProductBackward(name, input, weight, gradOutput, gradInput, gradWeight, gradBias, pixels, inChannels, outChannels,
    ['P', 'Cin', 'Cout']);
}

/**
 * The backward of rows (R, I) × (I, O) + bias (O), shared by pointwiseConv2dBackward and
 * denseBackward; `axes` names R, I and O in error messages.
 */
export function matrixProductBackward(
  name: string,
  input: Float32Array, // (R, I)
  weight: Float32Array, // (I, O)
  gradOutput: Float32Array, // (R, O)
  gradInput: Float32Array | null, // (R, I), overwritten
  gradWeight: Float32Array | null, // (I, O), accumulated
  gradBias: Float32Array | null, // (O), accumulated
  rows: number,
  inSize: number,
  outSize: number,
  axes: readonly [string, string, string],
): void {
  const [r, i, o] = axes;
  const inputLength = rows * inSize;
  const weightLength = inSize * outSize;
  const outputLength = rows * outSize;
  const inputShape = `(${r}=${rows}, ${i}=${inSize})`;
  const weightShape = `(${i}=${inSize}, ${o}=${outSize})`;
  checkBackwardOperands(name, [['input', input, inputLength, inputShape], ['weight', weight, weightLength, weightShape], ['gradOutput', gradOutput, outputLength, `(${r}=${rows}, ${o}=${outSize})`]], [
    ['gradInput', gradInput, inputLength, inputShape], ['gradWeight', gradWeight, weightLength, weightShape], ['gradBias', gradBias, outSize, `(${o}=${outSize})`],
  ]);

  if (gradInput !== null) {
    for (let row = 0; row < rows; row++) {
      for (let k = 0; k < inSize; k++) {
        let sum = 0; // row `row` of gradOutput · column k of Wᵀ (row k of W)
        for (let j = 0; j < outSize; j++) sum += gradOutput[row * outSize + j] * weight[k * outSize + j];
        gradInput[row * inSize + k] = sum;
      }
    }
  }
  if (gradWeight !== null) {
    for (let k = 0; k < inSize; k++) {
      for (let j = 0; j < outSize; j++) {
        let sum = 0;
        for (let row = 0; row < rows; row++) sum += input[row * inSize + k] * gradOutput[row * outSize + j];
        gradWeight[k * outSize + j] = gradWeight[k * outSize + j] + sum;
      }
    }
  }
  if (gradBias !== null) accumulateChannelSums(gradOutput, gradBias, rows, outSize);
}
