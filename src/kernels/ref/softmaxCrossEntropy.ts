import { checkArray, checkDisjoint, checkPositiveInts, checkSameOrDisjoint, fail } from './checks.js';
import type { SoftmaxCrossEntropyDesc } from './types.js';

/** Descriptor and label checks shared with softmaxCrossEntropyBackward. */
export function checkCrossEntropyArgs(name: string, labels: unknown, desc: SoftmaxCrossEntropyDesc): void {
  checkPositiveInts(name, desc, ['rows', 'cols']);
  const { rows, cols, labelSmoothing } = desc;
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    fail(name, `desc.labelSmoothing = ${String(labelSmoothing)}, expected a number in [0, 1]`);
  }
  if (!(labels instanceof Int32Array)) {
    fail(name, `labels is ${labels === null || typeof labels !== 'object' ? String(labels) : labels.constructor.name}, expected an Int32Array (rows=${rows})`);
  }
  if (labels.length < rows) fail(name, `labels has ${labels.length} elements, expected at least ${rows} for shape (rows=${rows})`);
  for (let r = 0; r < rows; r++) {
    const label = labels[r]!;
    if (label < 0 || label >= cols) fail(name, `labels[${r}] = ${label}, expected a class index in [0, ${cols - 1}]`);
  }
}

/**
 * Softmax followed by cross-entropy against integer labels, per row of (rows, cols) logits:
 *
 *   log p_j = x_j − max − log Σ_k exp(x_k − max)
 *   loss_r  = −Σ_j t_j · log p_j,   t = (1 − ε) · onehot(label_r) + ε / cols
 *
 * which is PyTorch's CrossEntropyLoss(label_smoothing=ε) (there: (1 − ε) · nll + ε · mean_j(−log p_j)).
 * Writes each row's loss and the softmax probabilities (which softmaxCrossEntropyBackward needs) and
 * returns the mean loss over the rows, the value CrossEntropyLoss's default reduction='mean' gives
 * (as a float64 mean of the float64 row losses). Every label must be a valid class index: there is
 * no ignore_index.
 *
 * probabilities may be logits itself (in place): each row's losses are computed before its
 * probabilities overwrite it.
 */
export function softmaxCrossEntropy(
  logits: Float32Array, // (rows, cols)
  labels: Int32Array, // (rows), class indices in [0, cols)
  loss: Float32Array, // (rows), written
  probabilities: Float32Array, // (rows, cols), written
  desc: SoftmaxCrossEntropyDesc,
): number {
  const name = 'softmaxCrossEntropy';
  checkCrossEntropyArgs(name, labels, desc);
  const { rows, cols, labelSmoothing } = desc;
  const length = rows * cols;
  const shape = `(rows=${rows}, cols=${cols})`;
  checkArray(name, 'logits', logits, length, shape);
  checkArray(name, 'loss', loss, rows, `(rows=${rows})`);
  checkArray(name, 'probabilities', probabilities, length, shape);
  checkSameOrDisjoint(name, probabilities, 'logits', logits, length);
  checkDisjoint(name, loss, rows, 'logits', logits, length);
  checkDisjoint(name, loss, rows, 'probabilities', probabilities, length);

  const onehotWeight = 1 - labelSmoothing;
  const uniformWeight = labelSmoothing / cols;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, logits[base + j]); // NaN propagates
    let sum = 0;
    let sumShifted = 0; // Σ_j (x_j − max), for the label smoothing term
    for (let j = 0; j < cols; j++) {
      const shifted = logits[base + j] - max;
      sum += Math.exp(shifted);
      sumShifted += shifted;
    }
    const logSum = Math.log(sum);
    // −log p_label and −Σ_j log p_j, both from the shifted logits.
    const nll = logSum - (logits[base + labels[r]!] - max);
    const smooth = cols * logSum - sumShifted;
    const rowLoss = onehotWeight * nll + uniformWeight * smooth;
    loss[r] = rowLoss;
    total += rowLoss;
    for (let j = 0; j < cols; j++) probabilities[base + j] = Math.exp(logits[base + j] - max) / sum;
  }
  return total / rows;
}
