import { checkArray, checkDisjoint, checkPositiveInts } from './checks.js';
import type { GlobalPoolDesc } from './types.js';

/** Mean over the spatial axes: (N, H, W, C) → (N, C). MobileNet's head before the classifier. */
export function globalAvgPool(
  input: Float32Array, // (N, H, W, C)
  output: Float32Array, // (N, C)
  desc: GlobalPoolDesc,
): void {
  const name = 'globalAvgPool';
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
      let sum = 0; // float64, so a 7×7 or 112×112 mean does not drift with pixel order
      for (let p = 0; p < pixels; p++) sum += input[(n * pixels + p) * channels + c];
      output[n * channels + c] = sum / pixels;
    }
  }
}
