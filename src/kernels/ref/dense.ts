import { checkArray, checkBias, checkDisjoint, checkPositiveInts } from './checks.js';
import type { DenseDesc } from './types.js';

/** Fully connected layer: (N, in) × (in, out) + bias. The weight is stored input-major like Keras. */
export function dense(
  input: Float32Array, // (N, in)
  weight: Float32Array, // (in, out)
  bias: Float32Array | null, // (out)
  output: Float32Array, // (N, out)
  desc: DenseDesc,
): void {
  const name = 'dense';
  checkPositiveInts(name, desc, ['batch', 'inFeatures', 'outFeatures']);
  const { batch, inFeatures, outFeatures } = desc;
  const inputLength = batch * inFeatures;
  const weightLength = inFeatures * outFeatures;
  const outputLength = batch * outFeatures;
  checkArray(name, 'input', input, inputLength, `(N=${batch}, in=${inFeatures})`);
  checkArray(name, 'weight', weight, weightLength, `(in=${inFeatures}, out=${outFeatures})`);
  checkBias(name, bias, outFeatures, `(out=${outFeatures})`);
  checkArray(name, 'output', output, outputLength, `(N=${batch}, out=${outFeatures})`);
  checkDisjoint(name, output, outputLength, 'input', input, inputLength);
  checkDisjoint(name, output, outputLength, 'weight', weight, weightLength);
  checkDisjoint(name, output, outputLength, 'bias', bias, outFeatures);

  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < outFeatures; o++) {
      let sum = bias === null ? 0 : bias[o]; // float64 accumulator, rounded once on store
      for (let i = 0; i < inFeatures; i++) sum += input[n * inFeatures + i] * weight[i * outFeatures + o];
      output[n * outFeatures + o] = sum;
    }
  }
}
