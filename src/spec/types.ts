/**
 * Options and resolved specifications of MobileNetV1 and MobileNetV2.
 *
 * Options are what a user asks for (everything optional, defaults depend on the convention);
 * a spec is the fully resolved architecture table that the graph builder consumes.
 */

export type Arch = 'mobilenet_v1' | 'mobilenet_v2';

/**
 * Whose published weights a model should be compatible with. It sets padding, BN epsilon and
 * decay, channel rounding and head defaults, since imported weights are only correct with their
 * own convention.
 */
export type Convention = 'torchvision' | 'keras' | 'slim';
export const CONVENTIONS: readonly Convention[] = ['torchvision', 'keras', 'slim'];

/**
 * - symmetric: pad (k−1)·d/2 on every side (PyTorch `padding=k//2`).
 * - same: TensorFlow 'SAME': out = ceil(in/stride); the odd pixel of padding goes bottom/right.
 * - keras-v1: Keras MobileNet's explicit ZeroPadding2D(((0, 1), (0, 1))) before every stride-2
 *   depthwise conv ('valid' after it), 'same' elsewhere, the stem included (as tf.keras and Keras 3
 *   build it; keras-applications 1.0.x padded the stem (0, 1) too); equals 'same' for even sizes only.
 */
export type PaddingRule = 'symmetric' | 'same' | 'keras-v1';
export const PADDING_RULES: readonly PaddingRule[] = ['symmetric', 'same', 'keras-v1'];

export type ActivationFn = 'relu' | 'relu6' | 'linear';
export type Pooling = 'avg' | 'max' | 'none';
export const OUTPUT_STRIDES = [8, 16, 32] as const;
export type OutputStride = (typeof OUTPUT_STRIDES)[number];

export interface Resolution {
  height: number;
  width: number;
}

export interface CommonOptions {
  /** Width multiplier α: scales every layer's channel count. Any positive number. Default 1. */
  alpha?: number;
  /** Input size: one integer ≥ 32 for a square input, or height and width. Default 224. */
  resolution?: number | Resolution;
  /** Classifier outputs. Default 1000, or 1001 (background + 1000) with the slim convention. */
  classes?: number;
  /** Keep the pooling, dropout and classifier head. Default true. */
  includeTop?: boolean;
  /** Global pooling of the last feature map when includeTop is false ('avg' with the top). */
  pooling?: Pooling;
  /** Dropout rate before the classifier (training only). Default depends on convention. */
  dropout?: number;
  /** 8, 16 or 32: later strides become 1 with dilation instead (slim semantics). Default 32. */
  outputStride?: OutputStride;
  convention?: Convention;
  /** Overrides the convention's padding rule. */
  padding?: PaddingRule;
  /** Overrides the convention's batch-norm epsilon. */
  batchNormEpsilon?: number;
  /** Overrides the hidden activation (V1 papers: ReLU; every published weight set: ReLU6). */
  activation?: 'relu' | 'relu6';
  /**
   * For small images (Fashion-MNIST's 28×28, CIFAR's 32×32): the stem conv runs at stride 1 and the
   * first stride-2 stage at stride 1, so the network downsamples by 8 instead of 32 (28×28 → 4×4).
   */
  smallInput?: boolean;
}

export interface V1Options extends CommonOptions {
  /** Keras' depth_multiplier: each depthwise conv outputs in·m channels. Default 1. */
  depthMultiplier?: number;
  /** slim's min_depth: no layer below this many channels (slim rounding only). Default 8. */
  minDepth?: number;
  /** Channel rounding: slim `max(int(c·α), minDepth)` or Keras `int(c·α)`. Default by convention. */
  rounding?: 'slim' | 'keras';
  /** false replaces every depthwise separable pair by one full 3×3 conv (V1 Table 4's "Conv MobileNet"). */
  separable?: boolean;
}

/** One row of MobileNetV2's Table 2: expansion t, output channels c, repeats n, first stride s. */
export interface V2BlockRow {
  t: number;
  c: number;
  n: number;
  s: number;
}

export interface V2Options extends CommonOptions {
  /** Replaces the expansion factor t of every row whose t is not 1. */
  expansion?: number;
  /** A custom body table instead of the paper's Table 2. */
  blocks?: readonly V2BlockRow[];
  /** Channel counts are rounded to multiples of this (makeDivisible). Default 8. */
  roundNearest?: number;
  /**
   * Keep the last 1×1 conv at 1280 channels when α < 1 (torchvision, Keras, and slim's
   * finegrain_classification_mode, which the published slim checkpoints use). false scales it by α
   * (slim's library default). Default true.
   */
  finegrain?: boolean;
  /** An explicit channel count for the last 1×1 conv, overriding the rules above. */
  lastChannels?: number;
}

export type ModelOptions = V1Options & V2Options;

/** The options every spec carries, with defaults filled in. */
export interface ResolvedCommon {
  alpha: number;
  height: number;
  width: number;
  classes: number;
  includeTop: boolean;
  pooling: Pooling;
  dropout: number;
  outputStride: OutputStride;
  convention: Convention;
  padding: PaddingRule;
  batchNormEpsilon: number;
  /** TF convention: running = decay·running + (1 − decay)·batch (PyTorch momentum = 1 − decay). */
  batchNormDecay: number;
  activation: 'relu' | 'relu6';
  smallInput: boolean;
}

/** A plain k×k convolution with BN and activation (the stems, V1's "Conv MobileNet" blocks). */
export interface ConvLayerSpec {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  dilation: number;
}

/** A depthwise separable block of V1 (dw 3×3 + BN + act, pw 1×1 + BN + act), or a full conv. */
export interface V1BlockSpec {
  inChannels: number;
  /** Depthwise output channels = inChannels · depthMultiplier. */
  depthwiseChannels: number;
  outChannels: number;
  stride: number;
  dilation: number;
  /** false: one full 3×3 conv in → out instead of the pair. */
  separable: boolean;
}

/** An inverted residual block of V2 (expand 1×1, depthwise 3×3, linear projection 1×1). */
export interface V2BlockSpec {
  inChannels: number;
  /** Expansion factor t (1: no expand conv). */
  expansion: number;
  /** Channels of the expanded tensor (= inChannels when t = 1). */
  expandedChannels: number;
  outChannels: number;
  stride: number;
  dilation: number;
  /** The shortcut: stride 1 and inChannels = outChannels. */
  residual: boolean;
}

export interface HeadSpec {
  /** Channels entering the global pool (and classifier). */
  features: number;
  classes: number;
  dropout: number;
}

export interface MobileNetV1Spec extends ResolvedCommon {
  arch: 'mobilenet_v1';
  depthMultiplier: number;
  minDepth: number;
  rounding: 'slim' | 'keras';
  separable: boolean;
  stem: ConvLayerSpec;
  blocks: V1BlockSpec[];
  head: HeadSpec;
}

export interface MobileNetV2Spec extends ResolvedCommon {
  arch: 'mobilenet_v2';
  roundNearest: number;
  finegrain: boolean;
  table: V2BlockRow[];
  stem: ConvLayerSpec;
  blocks: V2BlockSpec[];
  /** The 1×1 conv to lastChannels (1280 at α ≤ 1) before pooling. */
  lastConv: ConvLayerSpec;
  head: HeadSpec;
}

export type ModelSpec = MobileNetV1Spec | MobileNetV2Spec;
