/** The public API's export list is a contract: changing it must be a deliberate edit here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../../src/index.js';

const EXPECTED_EXPORTS = [
  'CONVENTIONS',
  'LAYER_TYPE_LABELS',
  'MobileNetError',
  'OUTPUT_STRIDES',
  'PADDING_RULES',
  'V1_BODY',
  'V2_TABLE',
  'buildGraph',
  'buildSpec',
  'createSpec',
  'graphCost',
  'listModels',
  'makeDivisible',
  'mobilenetV1Spec',
  'mobilenetV2Spec',
  'nodeParams',
  'parseModelName',
  'separableComparison',
  'summarize',
  'summarizeGraph',
];

test('public API export list', () => {
  assert.deepEqual(Object.keys(api).sort(), EXPECTED_EXPORTS);
});
