import { checkArray, checkDisjoint } from './checks.js';
import { checkGlobalPoolDesc } from './operands.js';
import type { GlobalPoolDesc } from './types.js';

/** Mean over the spatial axes: (N, H, W, C) → (N, C). MobileNet's head before the classifier. */
export function globalAvgPool(
  input: Float32Array, // (N, H, W, C)
  output: Float32Array, // (N, C)
  desc: GlobalPoolDesc,
): void {
  const name = 'globalAvgPool';
  const { pixels, spatial, pooled } = checkGlobalPoolDesc(name, desc);
  const { batch, channels } = desc;
  const [inputLength, outputLength] = [spatial.length, pooled.length];
  checkArray(name, 'input', input, inputLength, spatial.shape);
  checkArray(name, 'output', output, outputLength, pooled.shape);
  checkDisjoint(name, output, outputLength, 'input', input, inputLength);

  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      let sum = 0; // float64, so a 7×7 or 112×112 mean does not drift with pixel order
      for (let p = 0; p < pixels; p++) sum += input[(n * pixels + p) * channels + c];
      output[n * channels + c] = sum / pixels;
    }
  }
}
