export { manifoldExperiment, spiral, pseudoInverse, linearFitError, type ManifoldOptions, type ManifoldResult, type ManifoldRun } from './manifold.js';
export { memoryTable, type MemoryTable, type MemoryRow } from './memory.js';
export { measureSeparableLayer, measureSeparableNetwork, type SeparableLayerResult, type SeparableNetworkResult, type MeasuredLayer } from './separable.js';
