/**
 * The WebAssembly SIMD engine's kernels: loading the module and, per kernel (one file each, named
 * after it), the descriptor layout, its writer and the weight packing. See README.md for the ABI.
 */
export {
  chooseVariant, compileKernelsModule, instantiateKernels, kernelsBinary, loadKernels, relaxedSimdSupported, simdSupported,
  type KernelExports, type KernelVariant, type LoadKernelsOptions, type WasmKernels,
} from './module.js';
export {
  POINTWISE_DESC_BYTES, POINTWISE_LAYOUT, POINTWISE_PANEL_WIDTH, packPointwise, pointwiseBiasOffset, pointwisePackedChannels,
  pointwisePackedLength, writePointwiseDesc, type PointwiseDesc,
} from './pointwise.js';
export {
  DEPTHWISE3X3_DESC_BYTES, DEPTHWISE3X3_LAYOUT, depthwise3x3PackedLength, packDepthwise3x3, writeDepthwise3x3Desc, type Depthwise3x3Desc,
} from './depthwise3x3.js';
export {
  CONV2D_DIRECT_CHANNEL_ALIGN, CONV2D_DIRECT_DESC_BYTES, CONV2D_DIRECT_LAYOUT, conv2dDirectBiasOffset, conv2dDirectPackedChannels,
  conv2dDirectPackedLength, packConv2dDirect, writeConv2dDirectDesc, type Conv2dDirectDesc,
} from './conv2dDirect.js';
export { GLOBAL_AVG_POOL_DESC_BYTES, GLOBAL_AVG_POOL_LAYOUT, writeGlobalAvgPoolDesc, type GlobalAvgPoolDesc } from './globalAvgPool.js';
export { KERNEL_IDS, type FieldSpec, type Layout } from './descriptor.js';
export { Arena } from './arena.js';
