import { checkArray, checkBias, checkDisjoint, checkPositiveInts } from './checks.js';
import type { PointwiseConv2dDesc } from './types.js';

/**
 * 1×1 convolution, stride 1, no padding: in NHWC every pixel is a row, so it is the matrix product
 * (P, Cin) × (Cin, Cout) + bias. Kept apart from conv2d because it carries most of MobileNet's
 * multiply-adds and is the first thing a fast engine specializes.
 */
export function pointwiseConv2d(
  input: Float32Array, // (P, Cin), P = N·H·W
  weight: Float32Array, // (Cin, Cout), the (1, 1, Cin, Cout) HWIO weight with its unit axes dropped
  bias: Float32Array | null, // (Cout)
  output: Float32Array, // (P, Cout)
  desc: PointwiseConv2dDesc,
): void {
  const name = 'pointwiseConv2d';
  checkPositiveInts(name, desc, ['pixels', 'inChannels', 'outChannels']);
  const { pixels, inChannels, outChannels } = desc;
  const inputLength = pixels * inChannels;
  const weightLength = inChannels * outChannels;
  const outputLength = pixels * outChannels;
  checkArray(name, 'input', input, inputLength, `(P=${pixels}, Cin=${inChannels})`);
  checkArray(name, 'weight', weight, weightLength, `(Cin=${inChannels}, Cout=${outChannels})`);
  checkBias(name, bias, outChannels, `(Cout=${outChannels})`);
  checkArray(name, 'output', output, outputLength, `(P=${pixels}, Cout=${outChannels})`);
  checkDisjoint(name, output, outputLength, 'input', input, inputLength);
  checkDisjoint(name, output, outputLength, 'weight', weight, weightLength);
  checkDisjoint(name, output, outputLength, 'bias', bias, outChannels);

  for (let p = 0; p < pixels; p++) {
    const inBase = p * inChannels;
    const outBase = p * outChannels;
    for (let o = 0; o < outChannels; o++) {
      let sum = bias === null ? 0 : bias[o]; // float64 accumulator, rounded once on store
      for (let ci = 0; ci < inChannels; ci++) sum += input[inBase + ci] * weight[ci * outChannels + o];
      output[outBase + o] = sum;
    }
  }
}
