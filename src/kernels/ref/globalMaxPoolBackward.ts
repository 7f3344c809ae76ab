import { checkArray, checkDisjoint } from './checks.js';
import { checkGlobalPoolDesc } from './operands.js';
import type { GlobalPoolDesc } from './types.js';

/**
 * Gradient of globalMaxPool: for each (n, c), gradOutput[n, c] goes to one pixel and every other
 * pixel gets 0. gradInput is OVERWRITTEN.
 *
 * The pixel is the one PyTorch's adaptive_max_pool2d records as its index (checked with torch 1.13,
 * NCHW and channels-last alike): scanning pixels in row-major order, the first maximum wins a tie
 * (the gradient is NOT shared among tied pixels, unlike torch.amax's backward), and a NaN always
 * takes over, so with several NaNs the LAST one gets the gradient. The argmax is recomputed from
 * the input; nothing is saved by the forward.
 */
export function globalMaxPoolBackward(
  input: Float32Array, // (N, H, W, C), the forward's input
  gradOutput: Float32Array, // (N, C)
  gradInput: Float32Array, // (N, H, W, C), overwritten
  desc: GlobalPoolDesc,
): void {
  const name = 'globalMaxPoolBackward';
  const { pixels, spatial, pooled } = checkGlobalPoolDesc(name, desc);
  const { batch, channels } = desc;
  const [inputLength, outputLength] = [spatial.length, pooled.length];
  checkArray(name, 'input', input, inputLength, spatial.shape);
  checkArray(name, 'gradOutput', gradOutput, outputLength, pooled.shape);
  checkArray(name, 'gradInput', gradInput, inputLength, spatial.shape);
  checkDisjoint(name, gradInput, inputLength, 'input', input, inputLength);
  checkDisjoint(name, gradInput, inputLength, 'gradOutput', gradOutput, outputLength);

  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      let best = 0;
      let max = input[n * pixels * channels + c];
      for (let p = 1; p < pixels; p++) {
        const x = input[(n * pixels + p) * channels + c];
        if (x > max || Number.isNaN(x)) {
          max = x;
          best = p;
        }
      }
      const grad = gradOutput[n * channels + c];
      for (let p = 0; p < pixels; p++) gradInput[(n * pixels + p) * channels + c] = p === best ? grad : 0;
    }
  }
}
