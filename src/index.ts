/**
 * mobilenet-ts public API. The CLI imports only this module; its export list is snapshot-tested.
 */
export { MobileNetError, type ErrorCode } from './errors.js';
export {
  listModels,
  parseModelName,
  createSpec,
  buildSpec,
  mobilenetV1Spec,
  mobilenetV2Spec,
  makeDivisible,
  V1_BODY,
  V2_TABLE,
  CONVENTIONS,
  PADDING_RULES,
  OUTPUT_STRIDES,
  type Arch,
  type Convention,
  type PaddingRule,
  type ModelOptions,
  type V1Options,
  type V2Options,
  type V2BlockRow,
  type ModelSpec,
  type MobileNetV1Spec,
  type MobileNetV2Spec,
  type ModelPreset,
} from './spec/index.js';
export {
  buildGraph,
  graphCost,
  separableComparison,
  summarize,
  summarizeGraph,
  nodeParams,
  LAYER_TYPE_LABELS,
  type Graph,
  type GraphNode,
  type FeatureTap,
  type GraphCost,
  type LayerCost,
  type LayerType,
  type ParamCounts,
  type ModelSummary,
  type SeparableComparison,
} from './graph/index.js';
export type { Tensor, DType, NamedTensors } from './tensor.js';
export { InferenceSession, initWeights, foldBatchNorm, BACKENDS, type Backend, type SessionOptions, type RunRequest, type RunResult, type Weights } from './runtime/index.js';
export type { StepProfile } from './runtime/wasm/engine.js';
export {
  MobileNet,
  readModel,
  detectFormat,
  WEIGHT_FORMATS,
  type Classification,
  type MobileNetOptions,
  type LoadedModel,
  type ReadModelOptions,
  type WeightFormat,
  type ModelMetadata,
} from './model/index.js';
export { parseNpy, serializeNpy } from './io/npy.js';
export { parseSafetensors, serializeSafetensors } from './io/safetensors.js';
export { permute } from './io/layout.js';
export { presetConfig, preprocessForInput, toGrayscale, PREPROCESS_PRESETS, type PreprocessConfig, type PreprocessPreset } from './data/preprocess.js';
export { IMAGENET_LABELS } from './data/imagenet.js';
export { listPretrained, findPretrained, type PretrainedEntry } from './io/pretrained.js';
export { Trainer, evaluateSession, buildSchedule, type TrainConfig, type ScheduleConfig, type Evaluation, type EvaluateSessionOptions } from './train/trainer.js';
export { TrainableNetwork } from './train/network.js';
export { createOptimizer, graphParamInfo, type OptimizerConfig } from './train/optimizers.js';
export { lineChart, barChart, scatterChart, heatmap, panelGrid } from './plot/index.js';
export { manifoldExperiment, memoryTable, type ManifoldOptions, type ManifoldResult, type MemoryTable } from './experiments/index.js';
