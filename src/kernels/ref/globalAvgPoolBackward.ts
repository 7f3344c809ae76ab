import { checkArray, checkDisjoint } from './checks.js';
import { checkGlobalPoolDesc } from './operands.js';
import type { GlobalPoolDesc } from './types.js';

/**
 * Gradient of globalAvgPool: every pixel of (n, c) receives gradOutput[n, c] / (H·W).
 * gradInput is OVERWRITTEN.
 */
export function globalAvgPoolBackward(
  gradOutput: Float32Array, // (N, C)
  gradInput: Float32Array, // (N, H, W, C), overwritten
  desc: GlobalPoolDesc,
): void {
  const name = 'globalAvgPoolBackward';
  const { pixels, spatial, pooled } = checkGlobalPoolDesc(name, desc);
  const { batch, channels } = desc;
  const [inputLength, outputLength] = [spatial.length, pooled.length];
  checkArray(name, 'gradOutput', gradOutput, outputLength, pooled.shape);
  checkArray(name, 'gradInput', gradInput, inputLength, spatial.shape);
  checkDisjoint(name, gradInput, inputLength, 'gradOutput', gradOutput, outputLength);

  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < pixels; p++) {
      const base = (n * pixels + p) * channels;
      for (let c = 0; c < channels; c++) gradInput[base + c] = gradOutput[n * channels + c] / pixels;
    }
  }
}
