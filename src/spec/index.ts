export * from './types.js';
export { makeDivisible, slimV1Depth, kerasV1Depth } from './scaling.js';
export { mobilenetV1Spec, V1_BODY, V1_STEM } from './v1.js';
export { mobilenetV2Spec, V2_TABLE, V2_STEM, V2_LAST_CHANNELS } from './v2.js';
export { defaultConvention, MIN_RESOLUTION } from './options.js';
export {
  ARCHS,
  listModels,
  parseModelName,
  createSpec,
  buildSpec,
  specName,
  presetName,
  formatAlpha,
  type ModelPreset,
  type ParsedModelName,
} from './registry.js';
