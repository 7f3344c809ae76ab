export { InferenceSession, BACKENDS, type Backend, type SessionOptions, type RunRequest, type RunResult } from './session.js';
export { foldBatchNorm } from './fold.js';
export { checkWeights, initWeights, graphParams, mulberry32, type Weights, type WeightsReport, type CheckOptions, type InitOptions } from './weights.js';
