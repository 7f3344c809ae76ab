/**
 * Descriptors of the reference kernels. A kernel sees flat float32 arrays plus one of these small
 * objects; every layout is channels-last (NHWC) and C-order. The WebAssembly engine takes the same
 * descriptors, so a field added here is a field added to the kernel contract.
 */

/** The sliding-window geometry shared by conv2d and depthwiseConv2d. */
export interface WindowDesc {
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  /**
   * Zero rows added above / columns added left of the input. The bottom/right padding is not a
   * field: it is whatever outHeight/outWidth imply (taps outside the input read zero), which is how
   * TensorFlow 'SAME' with stride 2 (0 before, 1 after on even sizes) is expressed.
   */
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * conv2d: input (N, H, W, Cin), weight (kh, kw, Cin/groups, Cout) (TensorFlow HWIO), bias (Cout),
 * output (N, Hout, Wout, Cout). Output channel o belongs to group floor(o / (Cout/groups)) and sees
 * the input channels of that group only.
 */
export interface Conv2dDesc extends WindowDesc {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly groups: number;
}

/**
 * depthwiseConv2d: input (N, H, W, C), weight (kh, kw, C, multiplier), bias (C·multiplier),
 * output (N, Hout, Wout, C·multiplier) with output channel c·multiplier + m (TensorFlow convention).
 */
export interface DepthwiseConv2dDesc extends WindowDesc {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly channels: number;
  readonly multiplier: number;
  readonly outHeight: number;
  readonly outWidth: number;
}

/** pointwiseConv2d: input (P, Cin) × weight (Cin, Cout) + bias (Cout) → output (P, Cout), P = N·H·W. */
export interface PointwiseConv2dDesc {
  readonly pixels: number;
  readonly inChannels: number;
  readonly outChannels: number;
}

/** dense: input (N, in) × weight (in, out) + bias (out) → output (N, out). */
export interface DenseDesc {
  readonly batch: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** Inference-time batch norm statistics and affine parameters, each of length C. */
export interface BatchNormParams {
  readonly mean: Float32Array; // (C)
  readonly variance: Float32Array; // (C)
  readonly gamma: Float32Array; // (C)
  readonly beta: Float32Array; // (C)
  readonly epsilon: number;
}

/** batchNormInference works on (count, C) data: any channels-last tensor flattened to rows of C. */
export interface BatchNormDesc {
  readonly count: number;
  readonly channels: number;
}

export type ActivationFn = 'linear' | 'relu' | 'relu6';

/** globalAvgPool / globalMaxPool: (N, H, W, C) → (N, C). */
export interface GlobalPoolDesc {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** softmax over the last axis of (rows, cols). */
export interface SoftmaxDesc {
  readonly rows: number;
  readonly cols: number;
}

/** Padding of one spatial axis and the output size it yields. */
export interface AxisPadding {
  readonly before: number;
  readonly after: number;
  readonly out: number;
}

/**
 * batchNormTraining's affine parameters (C each). The statistics are not inputs: they are computed
 * from the batch and written to BatchNormSaved.
 */
export interface BatchNormTrainingParams {
  readonly gamma: Float32Array; // (C)
  readonly beta: Float32Array; // (C)
  readonly epsilon: number;
}

/**
 * What batchNormTraining writes for batchNormBackward (and for updateRunningStats): the batch mean
 * and 1 / sqrt(biased batch variance + epsilon) per channel, as PyTorch saves them.
 */
export interface BatchNormSaved {
  readonly mean: Float32Array; // (C)
  readonly invStd: Float32Array; // (C)
  /**
   * Optional: receives the unbiased (Bessel-corrected, count / (count − 1)) batch variance, the
   * value PyTorch and TensorFlow's fused batch norm feed into the running variance.
   */
  readonly unbiasedVariance?: Float32Array | null; // (C)
}

/**
 * softmaxCrossEntropy over (rows, cols) logits with one integer label per row. labelSmoothing ε
 * mixes the one-hot target with the uniform one: target = (1 − ε)·onehot + ε / cols.
 */
export interface SoftmaxCrossEntropyDesc {
  readonly rows: number;
  readonly cols: number;
  readonly labelSmoothing: number;
}
