import { checkBackwardOperands } from './checks.js';
import { checkDepthwiseDesc } from './operands.js';
import { accumulateChannelSums } from './conv2dBackward.js';
import type { DepthwiseConv2dDesc } from './types.js';

/**
 * Gradients of depthwiseConv2d (same descriptor and layouts; output channel c·multiplier + m) with
 * respect to its input, weight and bias. Same conventions as conv2dBackward: gradInput is
 * OVERWRITTEN, gradWeight and gradBias are ACCUMULATED (+=) so a batch can be split into chunks,
 * and any of them may be null to skip it. Each element is one float64 sum.
 */
export function depthwiseConv2dBackward(
  input: Float32Array, // (N, H, W, C)
  weight: Float32Array, // (kh, kw, C, multiplier)
  gradOutput: Float32Array, // (N, Hout, Wout, C·multiplier)
  gradInput: Float32Array | null, // (N, H, W, C), overwritten
  gradWeight: Float32Array | null, // (kh, kw, C, multiplier), accumulated
  gradBias: Float32Array | null, // (C·multiplier), accumulated
  desc: DepthwiseConv2dDesc,
): void {
  const name = 'depthwiseConv2dBackward';
  const { outChannels, input: i, weight: w, output: o } = checkDepthwiseDesc(name, desc);
  const { batch, inHeight, inWidth, channels, multiplier, outHeight, outWidth } = desc;
  const { kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = desc;
  checkBackwardOperands(name, [['input', input, i.length, i.shape], ['weight', weight, w.length, w.shape], ['gradOutput', gradOutput, o.length, o.shape]], [
    ['gradInput', gradInput, i.length, i.shape], ['gradWeight', gradWeight, w.length, w.shape], ['gradBias', gradBias, outChannels, `(C·multiplier=${outChannels})`],
  ]);

  if (gradInput !== null) {
    for (let n = 0; n < batch; n++) {
      for (let iy = 0; iy < inHeight; iy++) {
        for (let ix = 0; ix < inWidth; ix++) {
          const inBase = ((n * inHeight + iy) * inWidth + ix) * channels;
          for (let c = 0; c < channels; c++) {
            let sum = 0;
            for (let ky = 0; ky < kernelHeight; ky++) {
              const ty = iy + padTop - ky * dilationHeight; // = oy·strideHeight for the output row that reads iy with tap ky
              if (ty < 0 || ty % strideHeight !== 0) continue;
              const oy = ty / strideHeight;
              if (oy >= outHeight) continue;
              for (let kx = 0; kx < kernelWidth; kx++) {
                const tx = ix + padLeft - kx * dilationWidth;
                if (tx < 0 || tx % strideWidth !== 0) continue;
                const ox = tx / strideWidth;
                if (ox >= outWidth) continue;
                const gradBase = ((n * outHeight + oy) * outWidth + ox) * outChannels + c * multiplier;
                const weightBase = (ky * kernelWidth + kx) * outChannels + c * multiplier;
                for (let m = 0; m < multiplier; m++) sum += gradOutput[gradBase + m] * weight[weightBase + m];
              }
            }
            gradInput[inBase + c] = sum;
          }
        }
      }
    }
  }

  if (gradWeight !== null) {
    for (let ky = 0; ky < kernelHeight; ky++) {
      for (let kx = 0; kx < kernelWidth; kx++) {
        for (let o = 0; o < outChannels; o++) {
          const c = Math.floor(o / multiplier); // the input channel filter o reads
          let sum = 0;
          for (let n = 0; n < batch; n++) {
            for (let oy = 0; oy < outHeight; oy++) {
              const iy = oy * strideHeight - padTop + ky * dilationHeight;
              if (iy < 0 || iy >= inHeight) continue; // padding: zero input
              for (let ox = 0; ox < outWidth; ox++) {
                const ix = ox * strideWidth - padLeft + kx * dilationWidth;
                if (ix < 0 || ix >= inWidth) continue;
                sum += input[((n * inHeight + iy) * inWidth + ix) * channels + c] *
                  gradOutput[((n * outHeight + oy) * outWidth + ox) * outChannels + o];
              }
            }
          }
          const index = (ky * kernelWidth + kx) * outChannels + o;
          gradWeight[index] = gradWeight[index] + sum;
        }
      }
    }
  }

  if (gradBias !== null) accumulateChannelSums(gradOutput, gradBias, batch * outHeight * outWidth, outChannels);
}
