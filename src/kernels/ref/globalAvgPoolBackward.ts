import { checkArray, checkDisjoint, checkPositiveInts } from './checks.js';
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
  checkPositiveInts(name, desc, ['batch', 'height', 'width', 'channels']);
  const { batch, height, width, channels } = desc;
  const pixels = height * width;
  const inputLength = batch * pixels * channels;
  const outputLength = batch * channels;
  checkArray(name, 'gradOutput', gradOutput, outputLength, `(N=${batch}, C=${channels})`);
  checkArray(name, 'gradInput', gradInput, inputLength, `(N=${batch}, H=${height}, W=${width}, C=${channels})`);
  checkDisjoint(name, gradInput, inputLength, 'gradOutput', gradOutput, outputLength);

  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < pixels; p++) {
      const base = (n * pixels + p) * channels;
      for (let c = 0; c < channels; c++) gradInput[base + c] = gradOutput[n * channels + c] / pixels;
    }
  }
}
