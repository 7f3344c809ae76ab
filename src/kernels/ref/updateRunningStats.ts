import { checkArray, checkDisjoint, fail } from './checks.js';

/**
 * Moves the running (inference) statistics towards one batch's, in place, with TensorFlow's
 * convention:
 *
 *   running = decay · running + (1 − decay) · batch
 *
 * PyTorch's `momentum` m is the weight of the batch, so decay = 1 − m (BatchNorm2d's default
 * momentum 0.1 is decay 0.9; Keras' default momentum 0.99 and slim MobileNet's batch_norm_decay
 * 0.9997 are already decays). PyTorch's momentum = None (a cumulative average) is decay
 * 1 − 1/t at the t-th step.
 *
 * Which batch variance goes into runningVar differs between frameworks:
 * - PyTorch (torch.nn.BatchNorm*, F.batch_norm with training=True) uses the UNBIASED variance,
 *   Σ(x − mean)² / (count − 1), although it normalizes with the biased one. That is what this
 *   helper expects as batchVarUnbiased: pass batchNormTraining's saved.unbiasedVariance.
 * - TensorFlow's fused batch norm (tf.compat.v1.nn.fused_batch_norm; what Keras
 *   BatchNormalization and slim's batch_norm use for 4-D inputs when fused) also applies
 *   Bessel's correction, so it matches PyTorch (on CPU it uses count / max(count − 1, 1)).
 * - TensorFlow's non-fused path (Keras BatchNormalization(fused=False), or inputs the fused kernel
 *   does not handle) uses tf.nn.moments, the BIASED variance. To reproduce it, pass the biased
 *   variance instead: unbiased · (count − 1) / count.
 * The difference is a factor count / (count − 1): negligible for conv layers (count = N·H·W), visible
 * for small batches of dense features.
 *
 * runningMean's length is the channel count; the other arrays must hold at least that many values.
 */
export function updateRunningStats(
  runningMean: Float32Array, // (C), updated in place
  runningVar: Float32Array, // (C), updated in place
  batchMean: Float32Array, // (C)
  batchVarUnbiased: Float32Array, // (C)
  decay: number,
): void {
  const name = 'updateRunningStats';
  if (!(runningMean instanceof Float32Array) || runningMean.length < 1) {
    fail(name, `runningMean is ${String(runningMean?.constructor?.name ?? runningMean)}, expected a non-empty Float32Array (C)`);
  }
  const channels = runningMean.length;
  checkArray(name, 'runningVar', runningVar, channels, `(C=${channels})`);
  checkArray(name, 'batchMean', batchMean, channels, `(C=${channels})`);
  checkArray(name, 'batchVarUnbiased', batchVarUnbiased, channels, `(C=${channels})`);
  if (typeof decay !== 'number' || !(decay >= 0 && decay <= 1)) {
    fail(name, `decay = ${String(decay)}, expected a number in [0, 1] (PyTorch momentum m is decay 1 − m)`);
  }
  checkDisjoint(name, runningMean, channels, 'runningVar', runningVar, channels);
  for (const running of [runningMean, runningVar]) {
    checkDisjoint(name, running, channels, 'batchMean', batchMean, channels);
    checkDisjoint(name, running, channels, 'batchVarUnbiased', batchVarUnbiased, channels);
  }

  for (let c = 0; c < channels; c++) {
    runningMean[c] = decay * runningMean[c] + (1 - decay) * batchMean[c];
    runningVar[c] = decay * runningVar[c] + (1 - decay) * batchVarUnbiased[c];
  }
}
