/**
 * ImageNet-1k class labels.
 *
 * `IMAGENET_LABELS` is torchvision's list (`torchvision.models._meta._IMAGENET_CATEGORIES`, generated
 * into imagenet-labels.ts by tools/gen_imagenet_labels.py): 1000 short English names, all distinct,
 * in the standard class-index order that torchvision and Keras classifiers share (synset order
 * n01440764 'tench' … n15075141 'toilet tissue').
 *
 * TF-slim checkpoints have 1001 outputs: output 0 is 'background' and output i + 1 is ImageNet class
 * i; `labelsWithBackground()` gives that list.
 */
import { IMAGENET_LABELS_RAW } from './imagenet-labels.js';

export const IMAGENET_LABELS: readonly string[] = Object.freeze([...IMAGENET_LABELS_RAW]);

export const BACKGROUND_LABEL = 'background';

const WITH_BACKGROUND: readonly string[] = Object.freeze([BACKGROUND_LABEL, ...IMAGENET_LABELS_RAW]);

/** The 1001 labels of TF-slim checkpoints: 'background' first, then the 1000 ImageNet classes. */
export function labelsWithBackground(): readonly string[] {
  return WITH_BACKGROUND;
}

/** The label list that matches a classifier with `classes` outputs (1000 or 1001), else undefined. */
export function imagenetLabelsFor(classes: number): readonly string[] | undefined {
  if (classes === 1000) return IMAGENET_LABELS;
  if (classes === 1001) return WITH_BACKGROUND;
  return undefined;
}
