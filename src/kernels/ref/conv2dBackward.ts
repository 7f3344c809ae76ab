import { checkBackwardOperands } from './checks.js';
import { checkConv2dDesc } from './operands.js';
import type { Conv2dDesc } from './types.js';

/**
 * Gradients of conv2d (same descriptor, layouts and padding rules) with respect to its input,
 * weight and bias, given the gradient of the loss with respect to its output.
 *
 * - gradInput is OVERWRITTEN: every element is written, padding taps simply receive nothing.
 * - gradWeight and gradBias are ACCUMULATED (+=): zero them before the first call of a step. This lets
 *   a caller split a batch into chunks (or sum over time steps) without a scratch buffer; each
 *   element's contribution of one call is summed in float64 and added once.
 * - Any of the three may be null to skip that gradient (the stem's gradInput is never needed).
 *
 * gradInput is computed as a gather (for each input element, the output positions whose windows
 * read it) rather than a scatter, so that every element is one float64 sum rounded once, like the
 * forward kernel.
 */
export function conv2dBackward(
  input: Float32Array, // (N, H, W, Cin)
  weight: Float32Array, // (kh, kw, Cin/groups, Cout)
  gradOutput: Float32Array, // (N, Hout, Wout, Cout)
  gradInput: Float32Array | null, // (N, H, W, Cin), overwritten
  gradWeight: Float32Array | null, // (kh, kw, Cin/groups, Cout), accumulated
  gradBias: Float32Array | null, // (Cout), accumulated
  desc: Conv2dDesc,
): void {
  const name = 'conv2dBackward';
  const { groupIn, groupOut, input: i, weight: w, output: o } = checkConv2dDesc(name, desc);
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = desc;
  const { kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = desc;
  checkBackwardOperands(name, [['input', input, i.length, i.shape], ['weight', weight, w.length, w.shape], ['gradOutput', gradOutput, o.length, o.shape]], [
    ['gradInput', gradInput, i.length, i.shape], ['gradWeight', gradWeight, w.length, w.shape], ['gradBias', gradBias, outChannels, `(Cout=${outChannels})`],
  ]);

  if (gradInput !== null) {
    for (let n = 0; n < batch; n++) {
      for (let iy = 0; iy < inHeight; iy++) {
        for (let ix = 0; ix < inWidth; ix++) {
          const inBase = ((n * inHeight + iy) * inWidth + ix) * inChannels;
          for (let ci = 0; ci < inChannels; ci++) {
            const group = Math.floor(ci / groupIn);
            const firstOut = group * groupOut; // first output channel of ci's group
            const local = ci - group * groupIn; // ci's index inside the weight's Cin/groups axis
            let sum = 0;
            for (let ky = 0; ky < kernelHeight; ky++) {
              // Output row oy reads input row oy·stride − padTop + ky·dilation; invert it for iy.
              const ty = iy + padTop - ky * dilationHeight;
              if (ty < 0 || ty % strideHeight !== 0) continue;
              const oy = ty / strideHeight;
              if (oy >= outHeight) continue;
              for (let kx = 0; kx < kernelWidth; kx++) {
                const tx = ix + padLeft - kx * dilationWidth;
                if (tx < 0 || tx % strideWidth !== 0) continue;
                const ox = tx / strideWidth;
                if (ox >= outWidth) continue;
                const gradBase = ((n * outHeight + oy) * outWidth + ox) * outChannels + firstOut;
                const weightBase = ((ky * kernelWidth + kx) * groupIn + local) * outChannels + firstOut;
                for (let j = 0; j < groupOut; j++) sum += gradOutput[gradBase + j] * weight[weightBase + j];
              }
            }
            gradInput[inBase + ci] = sum;
          }
        }
      }
    }
  }

  if (gradWeight !== null) {
    for (let ky = 0; ky < kernelHeight; ky++) {
      for (let kx = 0; kx < kernelWidth; kx++) {
        for (let local = 0; local < groupIn; local++) {
          for (let o = 0; o < outChannels; o++) {
            const ci = Math.floor(o / groupOut) * groupIn + local; // the input channel this weight reads
            let sum = 0;
            for (let n = 0; n < batch; n++) {
              for (let oy = 0; oy < outHeight; oy++) {
                const iy = oy * strideHeight - padTop + ky * dilationHeight;
                if (iy < 0 || iy >= inHeight) continue; // a padding row: its input is zero
                for (let ox = 0; ox < outWidth; ox++) {
                  const ix = ox * strideWidth - padLeft + kx * dilationWidth;
                  if (ix < 0 || ix >= inWidth) continue;
                  sum += input[((n * inHeight + iy) * inWidth + ix) * inChannels + ci] *
                    gradOutput[((n * outHeight + oy) * outWidth + ox) * outChannels + o];
                }
              }
            }
            const index = ((ky * kernelWidth + kx) * groupIn + local) * outChannels + o;
            gradWeight[index] = gradWeight[index] + sum;
          }
        }
      }
    }
  }

  if (gradBias !== null) accumulateChannelSums(gradOutput, gradBias, batch * outHeight * outWidth, outChannels);
}

/**
 * Bias gradient: gradBias[c] += Σ over rows of gradOutput (rows, C), each sum in float64 and added
 * once. Shared with the other backward kernels.
 */
export function accumulateChannelSums(gradOutput: Float32Array, gradBias: Float32Array, rows: number, channels: number): void {
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += gradOutput[r * channels + c];
    gradBias[c] = gradBias[c] + sum;
  }
}
