/**
 * The reference kernels: plain TypeScript, NHWC, float32 storage with float64 accumulation. They are
 * the definition every faster engine is tested against. Each kernel lives in a file named after it;
 * backward kernels will sit beside their forward ones.
 */
export type {
  ActivationFn,
  AxisPadding,
  BatchNormDesc,
  BatchNormParams,
  Conv2dDesc,
  DenseDesc,
  DepthwiseConv2dDesc,
  GlobalPoolDesc,
  PointwiseConv2dDesc,
  SoftmaxDesc,
  WindowDesc,
} from './types.js';
export { convOutputSize, samePadding } from './padding.js';
export { conv2d } from './conv2d.js';
export { depthwiseConv2d } from './depthwiseConv2d.js';
export { pointwiseConv2d } from './pointwiseConv2d.js';
export { dense } from './dense.js';
export { batchNormInference } from './batchNormInference.js';
export { ACTIVATION_FNS, activation } from './activation.js';
export { add } from './add.js';
export { globalAvgPool } from './globalAvgPool.js';
export { globalMaxPool } from './globalMaxPool.js';
export { softmax } from './softmax.js';
export type { BatchNormSaved, BatchNormTrainingParams, SoftmaxCrossEntropyDesc } from './types.js';
export { conv2dBackward } from './conv2dBackward.js';
export { depthwiseConv2dBackward } from './depthwiseConv2dBackward.js';
export { pointwiseConv2dBackward } from './pointwiseConv2dBackward.js';
export { denseBackward } from './denseBackward.js';
export { batchNormTraining } from './batchNormTraining.js';
export { updateRunningStats } from './updateRunningStats.js';
export { batchNormBackward } from './batchNormBackward.js';
export { activationBackward } from './activationBackward.js';
export { addBackward } from './addBackward.js';
export { globalAvgPoolBackward } from './globalAvgPoolBackward.js';
export { globalMaxPoolBackward } from './globalMaxPoolBackward.js';
export { dropoutForward } from './dropoutForward.js';
export { dropoutBackward } from './dropoutBackward.js';
export { softmaxCrossEntropy } from './softmaxCrossEntropy.js';
export { softmaxCrossEntropyBackward } from './softmaxCrossEntropyBackward.js';
