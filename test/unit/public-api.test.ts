/** The public API's export list is a contract: changing it must be a deliberate edit here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../../src/index.js';
import type { MobileNetOptions, SessionOptions, StepProfile } from '../../src/index.js';
import type { ChunkOptions, ImageChunk, LoadModelOptions } from '../../src/node/index.js';

const EXPECTED_EXPORTS = [
  'BACKENDS',
  'CONVENTIONS',
  'IMAGENET_LABELS',
  'InferenceSession',
  'LAYER_TYPE_LABELS',
  'MobileNet',
  'MobileNetError',
  'OUTPUT_STRIDES',
  'PADDING_RULES',
  'PREPROCESS_PRESETS',
  'TrainableNetwork',
  'Trainer',
  'V1_BODY',
  'V2_TABLE',
  'WEIGHT_FORMATS',
  'barChart',
  'buildGraph',
  'buildSchedule',
  'buildSpec',
  'createOptimizer',
  'createSpec',
  'detectFormat',
  'evaluateSession',
  'findPretrained',
  'foldBatchNorm',
  'graphCost',
  'graphParamInfo',
  'heatmap',
  'initWeights',
  'lineChart',
  'listModels',
  'listPretrained',
  'makeDivisible',
  'manifoldExperiment',
  'memoryTable',
  'mobilenetV1Spec',
  'mobilenetV2Spec',
  'nodeParams',
  'panelGrid',
  'parseModelName',
  'parseNpy',
  'parseSafetensors',
  'permute',
  'preprocessForInput',
  'presetConfig',
  'readModel',
  'scatterChart',
  'separableComparison',
  'serializeNpy',
  'serializeSafetensors',
  'summarize',
  'summarizeGraph',
  'toGrayscale',
];

const EXPECTED_NODE_EXPORTS = [
  'CHECKPOINT_MINUTES',
  'IMAGE_CHUNK',
  'SAMPLE_DIR',
  'cachedWeightsPath',
  'classifyImageChunks',
  'classifyImages',
  'decodeImage',
  'defaultCacheDir',
  'downloadFashionMnist',
  'downloadFile',
  'embedImageChunks',
  'embedImages',
  'ensureFashionMnist',
  'evaluateModel',
  'fashionMnistCacheDir',
  'fetchPretrained',
  'loadFashionMnist',
  'loadImageChunks',
  'loadImageFolder',
  'loadImageTensor',
  'loadImages',
  'loadModel',
  'predictLogits',
  'readFileBytes',
  'runTradeoff',
  'runTraining',
  'svgToPng',
  'useNodeRuntime',
  'writeFileAtomic',
  'writePlot',
];

test('public API export list', () => {
  assert.deepEqual(Object.keys(api).sort(), EXPECTED_EXPORTS);
});

test('the Node entry point (mobilenet-ts/node) export list', async () => {
  const node = await import('../../src/node/index.js');
  assert.deepEqual(Object.keys(node).sort(), EXPECTED_NODE_EXPORTS);
});

test('the options and result types of the entry points are exported (checked by the compiler)', () => {
  const session: SessionOptions = { backend: 'ref' };
  const model: MobileNetOptions = { backend: 'wasm', threads: 1 };
  const load: LoadModelOptions = { strict: false };
  const chunk: ChunkOptions = { chunkSize: 2 };
  const step: Pick<StepProfile, 'kind' | 'macs'> = { kind: 'conv', macs: 1 };
  const images: Pick<ImageChunk, 'start'> = { start: 0 };
  assert.ok(session && model && load && chunk && step && images);
});
