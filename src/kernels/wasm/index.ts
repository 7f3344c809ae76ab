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
// Training kernels: backward passes and training-mode batch norm.
export {
  POINTWISE_WEIGHT_GRAD_DESC_BYTES, POINTWISE_WEIGHT_GRAD_LAYOUT, packPointwiseTransposed, writePointwiseWeightGradDesc, type PointwiseWeightGradDesc,
} from './pointwiseWeightGrad.js';
export {
  DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES, DEPTHWISE3X3_BACKWARD_INPUT_LAYOUT, packDepthwise3x3Transposed, writeDepthwise3x3BackwardInputDesc,
  type Depthwise3x3BackwardInputDesc,
} from './depthwise3x3BackwardInput.js';
export {
  DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES, DEPTHWISE3X3_BACKWARD_WEIGHT_LAYOUT, writeDepthwise3x3BackwardWeightDesc, type Depthwise3x3BackwardWeightDesc,
} from './depthwise3x3BackwardWeight.js';
export {
  CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES, CONV2D_DIRECT_BACKWARD_WEIGHT_LAYOUT, writeConv2dDirectBackwardWeightDesc, type Conv2dDirectBackwardWeightDesc,
} from './conv2dDirectBackwardWeight.js';
export {
  CHANNEL_STATS_DESC_BYTES, CHANNEL_STATS_LAYOUT, batchNormFromSums, trainingScratchFloats, writeChannelStatsDesc, type ChannelStatsDesc,
} from './channelStats.js';
export { SCALE_SHIFT_CLAMP_DESC_BYTES, SCALE_SHIFT_CLAMP_LAYOUT, writeScaleShiftClampDesc, type ScaleShiftClampDesc } from './scaleShiftClamp.js';
export { BN_BACKWARD_REDUCE_DESC_BYTES, BN_BACKWARD_REDUCE_LAYOUT, writeBnBackwardReduceDesc, type BnBackwardReduceDesc } from './bnBackwardReduce.js';
export { BN_BACKWARD_APPLY_DESC_BYTES, BN_BACKWARD_APPLY_LAYOUT, writeBnBackwardApplyDesc, type BnBackwardApplyDesc } from './bnBackwardApply.js';
export { ADD_IN_PLACE_DESC_BYTES, ADD_IN_PLACE_LAYOUT, writeAddInPlaceDesc, type AddInPlaceDesc } from './addInPlace.js';
export {
  GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES, GLOBAL_AVG_POOL_BACKWARD_LAYOUT, writeGlobalAvgPoolBackwardDesc, type GlobalAvgPoolBackwardDesc,
} from './globalAvgPoolBackward.js';
export { KERNEL_IDS, type FieldSpec, type Layout, type WindowGeometry, type DepthwiseGeometry, type DirectConvGeometry } from './descriptor.js';
export { Arena } from './arena.js';
