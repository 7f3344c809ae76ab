/**
 * Graph nodes as the reference kernels' descriptors: the one place the inference session, the fast
 * engine's fallback steps and the trainers turn a node's attributes into kernel geometry.
 */
import type { GraphNode, TensorShape } from '../graph/ops.js';
import type * as ref from '../kernels/ref/index.js';

export function conv2dDesc(node: GraphNode & { op: 'conv2d' }, inShape: TensorShape, batch: number): ref.Conv2dDesc {
  const a = node.attrs;
  return {
    batch, inHeight: inShape[0]!, inWidth: inShape[1]!, inChannels: a.inChannels, outHeight: node.shape[0]!, outWidth: node.shape[1]!, outChannels: a.outChannels,
    kernelHeight: a.kernel[0], kernelWidth: a.kernel[1], strideHeight: a.stride[0], strideWidth: a.stride[1],
    dilationHeight: a.dilation[0], dilationWidth: a.dilation[1], padTop: a.padding.top, padLeft: a.padding.left, groups: a.groups,
  };
}

export function depthwiseDesc(node: GraphNode & { op: 'depthwiseConv2d' }, inShape: TensorShape, batch: number): ref.DepthwiseConv2dDesc {
  const a = node.attrs;
  return {
    batch, inHeight: inShape[0]!, inWidth: inShape[1]!, channels: a.channels, multiplier: a.multiplier, outHeight: node.shape[0]!, outWidth: node.shape[1]!,
    kernelHeight: a.kernel[0], kernelWidth: a.kernel[1], strideHeight: a.stride[0], strideWidth: a.stride[1],
    dilationHeight: a.dilation[0], dilationWidth: a.dilation[1], padTop: a.padding.top, padLeft: a.padding.left,
  };
}
