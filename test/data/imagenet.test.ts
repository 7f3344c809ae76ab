import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKGROUND_LABEL, IMAGENET_LABELS, imagenetLabelsFor, labelsWithBackground } from '../../src/data/imagenet.js';

test('IMAGENET_LABELS: torchvision\'s 1000 distinct names in class order', () => {
  assert.equal(IMAGENET_LABELS.length, 1000);
  assert.equal(new Set(IMAGENET_LABELS).size, 1000);
  const known: [number, string][] = [
    [0, 'tench'],
    [1, 'goldfish'],
    [207, 'golden retriever'],
    [281, 'tabby'],
    [409, 'analog clock'],
    [954, 'banana'],
    [999, 'toilet tissue'],
  ];
  for (const [i, name] of known) assert.equal(IMAGENET_LABELS[i], name, `class ${i}`);
  assert.ok(Object.isFrozen(IMAGENET_LABELS));
});

test('labelsWithBackground: TF-slim\'s 1001 outputs, background first', () => {
  const labels = labelsWithBackground();
  assert.equal(labels.length, 1001);
  assert.equal(labels[0], BACKGROUND_LABEL);
  assert.equal(labels[1], 'tench');
  assert.equal(labels[1000], 'toilet tissue');
  assert.equal(imagenetLabelsFor(1000), IMAGENET_LABELS);
  assert.equal(imagenetLabelsFor(1001), labels);
  assert.equal(imagenetLabelsFor(10), undefined);
});
