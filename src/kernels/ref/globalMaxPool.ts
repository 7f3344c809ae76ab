import { checkArray, checkDisjoint, checkPositiveInts } from './checks.js';
import type { GlobalPoolDesc } from './types.js';

/** Maximum over the spatial axes: (N, H, W, C) → (N, C). A NaN anywhere in a channel gives NaN, as in PyTorch. */
export function globalMaxPool(
  input: Float32Array, // (N, H, W, C)
  output: Float32Array, // (N, C)
  desc: GlobalPoolDesc,
): void {
  const name = 'globalMaxPool';
  checkPositiveInts(name, desc, ['batch', 'height', 'width', 'channels']);
  const { batch, height, width, channels } = desc;
  const pixels = height * width;
  const inputLength = batch * pixels * channels;
  const outputLength = batch * channels;
  checkArray(name, 'input', input, inputLength, `(N=${batch}, H=${height}, W=${width}, C=${channels})`);
  checkArray(name, 'output', output, outputLength, `(N=${batch}, C=${channels})`);
  checkDisjoint(name, output, outputLength, 'input', input, inputLength);

  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      let max = input[n * pixels * channels + c];
      for (let p = 1; p < pixels; p++) {
        const x = input[(n * pixels + p) * channels + c];
        if (x > max || Number.isNaN(x)) max = x;
        if (Number.isNaN(max)) break; // nothing can replace a NaN
      }
      output[n * channels + c] = max;
    }
  }
}
