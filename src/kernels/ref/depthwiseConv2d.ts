import { checkArray, checkBias, checkDisjoint } from './checks.js';
import { checkDepthwiseDesc } from './operands.js';
import type { DepthwiseConv2dDesc } from './types.js';

/**
 * Depthwise 2-D convolution: each input channel c is convolved with its own `multiplier` filters,
 * producing output channels c·multiplier + m (TensorFlow's order; PyTorch's groups = C conv agrees).
 * Same window and padding rules as conv2d.
 */
export function depthwiseConv2d(
  input: Float32Array, // (N, H, W, C)
  weight: Float32Array, // (kh, kw, C, multiplier)
  bias: Float32Array | null, // (C·multiplier)
  output: Float32Array, // (N, Hout, Wout, C·multiplier)
  desc: DepthwiseConv2dDesc,
): void {
  const name = 'depthwiseConv2d';
  const { outChannels, input: i, weight: w, output: o } = checkDepthwiseDesc(name, desc);
  const { batch, inHeight, inWidth, channels, multiplier, outHeight, outWidth } = desc;
  const { kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = desc;
  const [inputLength, weightLength, outputLength] = [i.length, w.length, o.length];
  checkArray(name, 'input', input, inputLength, i.shape);
  checkArray(name, 'weight', weight, weightLength, w.shape);
  checkBias(name, bias, outChannels, `(C·multiplier=${outChannels})`);
  checkArray(name, 'output', output, outputLength, o.shape);
  checkDisjoint(name, output, outputLength, 'input', input, inputLength);
  checkDisjoint(name, output, outputLength, 'weight', weight, weightLength);
  checkDisjoint(name, output, outputLength, 'bias', bias, outChannels);

  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * strideHeight - padTop;
      for (let ox = 0; ox < outWidth; ox++) {
        const ix0 = ox * strideWidth - padLeft;
        const outBase = ((n * outHeight + oy) * outWidth + ox) * outChannels;
        for (let c = 0; c < channels; c++) {
          for (let m = 0; m < multiplier; m++) {
            const o = c * multiplier + m;
            let sum = bias === null ? 0 : bias[o]; // float64 accumulator, rounded once on store
            for (let ky = 0; ky < kernelHeight; ky++) {
              const iy = iy0 + ky * dilationHeight;
              if (iy < 0 || iy >= inHeight) continue; // padding: contributes zero
              for (let kx = 0; kx < kernelWidth; kx++) {
                const ix = ix0 + kx * dilationWidth;
                if (ix < 0 || ix >= inWidth) continue;
                // The weight layout (kh, kw, C, multiplier) puts w[ky, kx, c, m] at (ky·kw + kx)·C·M + o.
                sum += input[((n * inHeight + iy) * inWidth + ix) * channels + c] *
                  weight[(ky * kernelWidth + kx) * outChannels + o];
              }
            }
            output[outBase + o] = sum;
          }
        }
      }
    }
  }
}
