/**
 * The `mobilenet.*` safetensors metadata every saved model carries: it round-trips (with a folder
 * run's held-out split), files without it read as undefined, and malformed entries are refused
 * with a message naming the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metadataFromStrings, metadataToStrings, type ModelMetadata } from '../../src/model/metadata.js';
import { presetConfig } from '../../src/data/preprocess.js';
import { MobileNetError } from '../../src/errors.js';

const meta: ModelMetadata = {
  model: 'mobilenet_v1',
  options: { alpha: 0.25, resolution: 28, smallInput: true, classes: 3 },
  preprocess: presetConfig('keras', 28),
  labels: ['ankle-boot', 'bag', 'trouser'],
  source: 'trained by mobilenet-ts on folder:/data/shoes',
  split: { seed: 3, validationFraction: 0.1, classCounts: [12, 0, 7], filesSha256: 'ab'.repeat(32) },
};

test('model metadata round-trips, the held-out split included; a file without it reads as undefined', () => {
  assert.deepEqual(metadataFromStrings(metadataToStrings(meta), 'm.safetensors'), meta);
  const { split: _split, ...plain } = meta;
  const strings = metadataToStrings(plain);
  assert.equal(strings['mobilenet.split'], undefined);
  assert.deepEqual(metadataFromStrings(strings, 'm.safetensors'), plain);
  assert.equal(metadataFromStrings({ format: 'pt' }, 'm.safetensors'), undefined);
});

test('model metadata: malformed entries are refused, naming the key', () => {
  const strings = metadataToStrings(meta);
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ 'mobilenet.version': '9' }, 'UNSUPPORTED', /metadata version 9, this mobilenet-ts reads version 1/],
    [{ 'mobilenet.options': '[1]' }, 'INVALID_FORMAT', /'mobilenet\.options' must be a JSON object/],
    [{ 'mobilenet.labels': '["a", 2]' }, 'INVALID_FORMAT', /'mobilenet\.labels' must be a JSON array of strings/],
    [{ 'mobilenet.preprocess': '{' }, 'INVALID_FORMAT', /'mobilenet\.preprocess' is not valid JSON/],
    [{ 'mobilenet.split': '{"seed": 1.5, "validationFraction": 0.1}' }, 'INVALID_FORMAT', /'mobilenet\.split' must be \{seed: an integer, validationFraction: between 0 and 1, classCounts\?: whole numbers, filesSha256\?: 64 hex digits\}, got \{"seed": 1\.5/],
    [{ 'mobilenet.split': `{"seed": 1, "validationFraction": 0.1, "filesSha256": "${'AB'.repeat(32)}"}` }, 'INVALID_FORMAT', /'mobilenet\.split' must be/],
    [{ 'mobilenet.split': `{"seed": 1, "validationFraction": 0.1, "filesSha256": "${'a'.repeat(63)}"}` }, 'INVALID_FORMAT', /'mobilenet\.split' must be/],
    [{ 'mobilenet.split': '{"seed": 1, "validationFraction": 1}' }, 'INVALID_FORMAT', /'mobilenet\.split' must be/],
    [{ 'mobilenet.split': '{"seed": 1}' }, 'INVALID_FORMAT', /'mobilenet\.split' must be/],
    [{ 'mobilenet.split': 'null' }, 'INVALID_FORMAT', /'mobilenet\.split' must be/],
    [{ 'mobilenet.split': '{"seed": 1, "validationFraction": 0.1, "classCounts": [4, 2.5]}' }, 'INVALID_FORMAT', /classCounts\?: whole numbers, filesSha256\?: 64 hex digits\}, got \{"seed": 1, "validationFraction": 0\.1, "classCounts": \[4, 2\.5\]/],
    // Found by test/io/malformed-inputs.test.ts: a repeat count of 2^53 + 1 was trusted, and building
    // the graph for it ran out of memory (the spec was built block by block).
    [
      { 'mobilenet.model': 'mobilenet_v2', 'mobilenet.options': '{"resolution":32,"blocks":[{"t":1,"c":16,"n":9007199254740993,"s":1}]}' },
      'INVALID_FORMAT',
      /metadata 'mobilenet\.model' and 'mobilenet\.options': blocks\[0\]\.n must be an integer from 1 to 1000, got 9007199254740992/,
    ],
    // Also found there: a resolution of 2^53 passed the spec and failed in the graph's shape arithmetic
    // with 'convOutputSize: inSize = 9007199254740992, expected an integer ≥ 1'.
    [{ 'mobilenet.options': '{"resolution":9007199254740993}' }, 'INVALID_FORMAT', /metadata 'mobilenet\.model' and 'mobilenet\.options': resolution must be at most 16384, got 9007199254740992/],
    [{ 'mobilenet.options': '{"alpha":-1}' }, 'INVALID_FORMAT', /metadata 'mobilenet\.model' and 'mobilenet\.options': alpha must be a positive number, got -1/],
    [{ 'mobilenet.model': 'resnet50' }, 'INVALID_FORMAT', /metadata 'mobilenet\.model' and 'mobilenet\.options': .*resnet50/],
    [{ 'mobilenet.preprocess': '{"crop":{"height":-1,"width":28},"interpolation":"bilinear","divisor":1,"mean":[0,0,0],"std":[1,1,1]}' }, 'INVALID_FORMAT', /metadata 'mobilenet\.preprocess': preprocess config: crop\.height must be/],
  ];
  for (const [change, code, pattern] of cases) {
    assert.throws(() => metadataFromStrings({ ...strings, ...change }, 'm.safetensors'), (e: unknown) => {
      assert.ok(e instanceof MobileNetError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, /^m\.safetensors: /);
      assert.match(e.message, pattern);
      return true;
    });
  }
});
