export * from './ops.js';
export { buildGraph, checkGraph, INPUT_NAME, type Graph, type FeatureTap } from './build.js';
export { convOutputSize, pad1d, type Pad1D } from './padding.js';
export {
  graphCost,
  activationMemory,
  nodeMacs,
  nodeParamCounts,
  layerType,
  emptyParams,
  LAYER_TYPE_LABELS,
  type GraphCost,
  type LayerCost,
  type LayerType,
  type ParamCounts,
  type MemoryCost,
  type TypeShare,
} from './cost.js';
export { separableComparison, type LayerGeometry, type SeparableComparison, type CostPair } from './separable.js';
export { summarize, summarizeGraph, specConfig, type ModelSummary, type SummaryLayer } from './summary.js';
