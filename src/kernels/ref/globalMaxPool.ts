import { checkArray, checkDisjoint } from './checks.js';
import { checkGlobalPoolDesc } from './operands.js';
import type { GlobalPoolDesc } from './types.js';

/** Maximum over the spatial axes: (N, H, W, C) → (N, C). A NaN anywhere in a channel gives NaN, as in PyTorch. */
export function globalMaxPool(
  input: Float32Array, // (N, H, W, C)
  output: Float32Array, // (N, C)
  desc: GlobalPoolDesc,
): void {
  const name = 'globalMaxPool';
  const { pixels, spatial, pooled } = checkGlobalPoolDesc(name, desc);
  const { batch, channels } = desc;
  const [inputLength, outputLength] = [spatial.length, pooled.length];
  checkArray(name, 'input', input, inputLength, spatial.shape);
  checkArray(name, 'output', output, outputLength, pooled.shape);
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
