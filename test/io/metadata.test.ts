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
  split: { seed: 3, validationFraction: 0.1, classCounts: [12, 0, 7] },
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
    [{ 'mobilenet.split': '{"seed": 1.5, "validationFraction": 0.1}' }, 'INVALID_FORMAT', /'mobilenet\.split' must be \{seed: an integer, validationFraction: between 0 and 1, classCounts\?: whole numbers\}, got \{"seed": 1\.5/],
    [{ 'mobilenet.split': '{"seed": 1, "validationFraction": 1}' }, 'INVALID_FORMAT', /'mobilenet\.split' must be/],
    [{ 'mobilenet.split': '{"seed": 1}' }, 'INVALID_FORMAT', /'mobilenet\.split' must be/],
    [{ 'mobilenet.split': 'null' }, 'INVALID_FORMAT', /'mobilenet\.split' must be/],
    [{ 'mobilenet.split': '{"seed": 1, "validationFraction": 0.1, "classCounts": [4, 2.5]}' }, 'INVALID_FORMAT', /classCounts\?: whole numbers\}, got/],
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
