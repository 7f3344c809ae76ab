import { checkArray, checkSameOrDisjoint } from './checks.js';
import { checkCrossEntropyArgs } from './softmaxCrossEntropy.js';
import type { SoftmaxCrossEntropyDesc } from './types.js';

/**
 * Gradient of softmaxCrossEntropy's MEAN loss (the value it returns) with respect to the logits:
 *
 *   gradLogits[r, j] = (p[r, j] − t[r, j]) / rows,   t = (1 − ε) · onehot(label_r) + ε / cols
 *
 * from the probabilities the forward wrote. gradLogits is OVERWRITTEN and may be probabilities
 * itself (in place). To back-propagate a scaled loss (gradient accumulation over micro-batches,
 * loss scaling), scale the result.
 */
export function softmaxCrossEntropyBackward(
  probabilities: Float32Array, // (rows, cols), from softmaxCrossEntropy
  labels: Int32Array, // (rows)
  gradLogits: Float32Array, // (rows, cols), overwritten
  desc: SoftmaxCrossEntropyDesc,
): void {
  const name = 'softmaxCrossEntropyBackward';
  checkCrossEntropyArgs(name, labels, desc);
  const { rows, cols, labelSmoothing } = desc;
  const length = rows * cols;
  checkArray(name, 'probabilities', probabilities, length, `(rows=${rows}, cols=${cols})`);
  checkArray(name, 'gradLogits', gradLogits, length, `(rows=${rows}, cols=${cols})`);
  checkSameOrDisjoint(name, gradLogits, 'probabilities', probabilities, length);

  const uniformWeight = labelSmoothing / cols;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const label = labels[r]!;
    for (let j = 0; j < cols; j++) {
      const target = (j === label ? 1 - labelSmoothing : 0) + uniformWeight;
      gradLogits[base + j] = (probabilities[base + j] - target) / rows;
    }
  }
}
