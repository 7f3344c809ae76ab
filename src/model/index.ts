export { MobileNet, type Classification, type MobileNetOptions } from './mobilenet.js';
export { readModel, detectFormat, writeSafetensorsModel, writeOnnxModel, WEIGHT_FORMATS, type LoadedModel, type ReadModelOptions, type WeightFormat } from './load.js';
export { defaultMetadata, metadataFromStrings, metadataToStrings, type ModelMetadata } from './metadata.js';
