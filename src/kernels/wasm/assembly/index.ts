// The WebAssembly SIMD kernels of mobilenet-ts. Every kernel is `(desc: usize) => void`: it reads a
// descriptor struct at byte offset `desc` of the imported shared memory (layouts in ./layout.ts and
// src/kernels/wasm/README.md) and computes the sub-range the descriptor names. Kernels allocate
// nothing, and the module has no data segments and no mutable state, so any number of threads may
// run them on the same memory.
export { pointwise } from './pointwise';
export { depthwise3x3 } from './depthwise3x3';
export { conv2dDirect } from './conv2dDirect';
export { globalAvgPool } from './globalAvgPool';
export {
  conv2dChannelAlign, descriptorBytes, layoutOffset, pointwisePackedChannels, pointwisePanelWidth, trainingScratchFloats,
} from './layout';

/** 1 when this binary was compiled with relaxed SIMD (fused multiply-add), 0 for plain SIMD. */
export function kernelVariant(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
// Training kernels: backward passes and training-mode batch norm.
export { pointwiseWeightGrad } from './pointwiseWeightGrad';
export { depthwise3x3BackwardInput } from './depthwise3x3BackwardInput';
export { depthwise3x3BackwardWeight } from './depthwise3x3BackwardWeight';
export { conv2dDirectBackwardWeight } from './conv2dDirectBackwardWeight';
export { channelStats } from './channelStats';
export { scaleShiftClamp } from './scaleShiftClamp';
export { bnBackwardReduce } from './bnBackwardReduce';
export { bnBackwardApply } from './bnBackwardApply';
export { addInPlace } from './addInPlace';
export { globalAvgPoolBackward } from './globalAvgPoolBackward';
