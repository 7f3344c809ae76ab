import { checkArray, checkBias, checkDisjoint } from './checks.js';
import { checkConv2dDesc } from './operands.js';
import type { Conv2dDesc } from './types.js';

/**
 * Grouped, strided, dilated 2-D convolution (cross-correlation, as every framework defines it).
 * Taps that fall outside the input read zero, which covers both explicit padding (padTop/padLeft)
 * and the bottom/right padding implied by outHeight/outWidth.
 */
export function conv2d(
  input: Float32Array, // (N, H, W, Cin)
  weight: Float32Array, // (kh, kw, Cin/groups, Cout)
  bias: Float32Array | null, // (Cout)
  output: Float32Array, // (N, Hout, Wout, Cout)
  desc: Conv2dDesc,
): void {
  const name = 'conv2d';
  const { groupIn, groupOut, input: i, weight: w, output: o } = checkConv2dDesc(name, desc);
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = desc;
  const { kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = desc;
  const [inputLength, weightLength, outputLength] = [i.length, w.length, o.length];
  checkArray(name, 'input', input, inputLength, i.shape);
  checkArray(name, 'weight', weight, weightLength, w.shape);
  checkBias(name, bias, outChannels, `(Cout=${outChannels})`);
  checkArray(name, 'output', output, outputLength, o.shape);
  checkDisjoint(name, output, outputLength, 'input', input, inputLength);
  checkDisjoint(name, output, outputLength, 'weight', weight, weightLength);
  checkDisjoint(name, output, outputLength, 'bias', bias, outChannels);

  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * strideHeight - padTop; // input row under the window's top tap
      for (let ox = 0; ox < outWidth; ox++) {
        const ix0 = ox * strideWidth - padLeft;
        const outBase = ((n * outHeight + oy) * outWidth + ox) * outChannels;
        for (let o = 0; o < outChannels; o++) {
          const firstIn = Math.floor(o / groupOut) * groupIn; // first input channel of o's group
          // Accumulate in a JS number (float64) and round once: the reference should not depend on
          // summation order the way a float32 accumulator would.
          let sum = bias === null ? 0 : bias[o];
          for (let ky = 0; ky < kernelHeight; ky++) {
            const iy = iy0 + ky * dilationHeight;
            if (iy < 0 || iy >= inHeight) continue; // a padding row: contributes zero
            for (let kx = 0; kx < kernelWidth; kx++) {
              const ix = ix0 + kx * dilationWidth;
              if (ix < 0 || ix >= inWidth) continue;
              const inBase = ((n * inHeight + iy) * inWidth + ix) * inChannels + firstIn;
              const weightBase = (ky * kernelWidth + kx) * groupIn * outChannels + o;
              for (let ci = 0; ci < groupIn; ci++) {
                sum += input[inBase + ci] * weight[weightBase + ci * outChannels];
              }
            }
          }
          output[outBase + o] = sum;
        }
      }
    }
  }
}
