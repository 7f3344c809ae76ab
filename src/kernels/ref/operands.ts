/**
 * Descriptor checks and the operand sizes they imply, shared by each kernel and its backward twin
 * so that the forward and the gradient refuse exactly the same descriptors with the same messages.
 */
import { checkNonNegativeInts, checkPositiveInts, fail } from './checks.js';
import type { Conv2dDesc, DepthwiseConv2dDesc, GlobalPoolDesc } from './types.js';

/** Elements and a printable shape (for error messages) of one tensor. */
export interface OperandSize {
  length: number;
  shape: string;
}

export interface ConvOperands {
  input: OperandSize;
  weight: OperandSize;
  output: OperandSize;
  /** Output channels: the bias length. */
  outChannels: number;
}

export function checkConv2dDesc(kernel: string, desc: Conv2dDesc): ConvOperands & { groupIn: number; groupOut: number } {
  checkPositiveInts(kernel, desc, [
    'batch', 'inHeight', 'inWidth', 'inChannels', 'outHeight', 'outWidth', 'outChannels',
    'kernelHeight', 'kernelWidth', 'strideHeight', 'strideWidth', 'dilationHeight', 'dilationWidth', 'groups',
  ]);
  checkNonNegativeInts(kernel, desc, ['padTop', 'padLeft']);
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, groups, kernelHeight, kernelWidth } = desc;
  if (inChannels % groups !== 0) fail(kernel, `desc.inChannels = ${inChannels} is not divisible by desc.groups = ${groups}`);
  if (outChannels % groups !== 0) fail(kernel, `desc.outChannels = ${outChannels} is not divisible by desc.groups = ${groups}`);
  const groupIn = inChannels / groups;
  return {
    groupIn,
    groupOut: outChannels / groups,
    outChannels,
    input: { length: batch * inHeight * inWidth * inChannels, shape: `(N=${batch}, H=${inHeight}, W=${inWidth}, C=${inChannels})` },
    weight: { length: kernelHeight * kernelWidth * groupIn * outChannels, shape: `(kh=${kernelHeight}, kw=${kernelWidth}, Cin/groups=${groupIn}, Cout=${outChannels})` },
    output: { length: batch * outHeight * outWidth * outChannels, shape: `(N=${batch}, Hout=${outHeight}, Wout=${outWidth}, Cout=${outChannels})` },
  };
}

export function checkDepthwiseDesc(kernel: string, desc: DepthwiseConv2dDesc): ConvOperands {
  checkPositiveInts(kernel, desc, [
    'batch', 'inHeight', 'inWidth', 'channels', 'multiplier', 'outHeight', 'outWidth',
    'kernelHeight', 'kernelWidth', 'strideHeight', 'strideWidth', 'dilationHeight', 'dilationWidth',
  ]);
  checkNonNegativeInts(kernel, desc, ['padTop', 'padLeft']);
  const { batch, inHeight, inWidth, channels, multiplier, outHeight, outWidth, kernelHeight, kernelWidth } = desc;
  const outChannels = channels * multiplier;
  return {
    outChannels,
    input: { length: batch * inHeight * inWidth * channels, shape: `(N=${batch}, H=${inHeight}, W=${inWidth}, C=${channels})` },
    weight: { length: kernelHeight * kernelWidth * outChannels, shape: `(kh=${kernelHeight}, kw=${kernelWidth}, C=${channels}, multiplier=${multiplier})` },
    output: { length: batch * outHeight * outWidth * outChannels, shape: `(N=${batch}, Hout=${outHeight}, Wout=${outWidth}, C·multiplier=${outChannels})` },
  };
}

/** Global pooling: `spatial` is (N, H, W, C), `pooled` is (N, C). */
export function checkGlobalPoolDesc(kernel: string, desc: GlobalPoolDesc): { pixels: number; spatial: OperandSize; pooled: OperandSize } {
  checkPositiveInts(kernel, desc, ['batch', 'height', 'width', 'channels']);
  const { batch, height, width, channels } = desc;
  const pixels = height * width;
  return {
    pixels,
    spatial: { length: batch * pixels * channels, shape: `(N=${batch}, H=${height}, W=${width}, C=${channels})` },
    pooled: { length: batch * channels, shape: `(N=${batch}, C=${channels})` },
  };
}
