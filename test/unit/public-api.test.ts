/** The public API's export list is a contract: changing it must be a deliberate edit here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../../src/index.js';

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
  'downloadFile',
  'embedImageChunks',
  'embedImages',
  'evaluateModel',
  'fetchPretrained',
  'loadImageTensor',
  'loadImages',
  'loadModel',
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
