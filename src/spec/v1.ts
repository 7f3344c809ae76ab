/**
 * MobileNetV1 as data: the paper's Table 1, which TF-slim's `MOBILENETV1_CONV_DEFS` and Keras'
 * `MobileNet` encode the same way. (The paper prints the second-to-last depthwise conv as s2 at
 * 7×7: a typo; it is s1 in every implementation.)
 */
import { invalidArgument } from '../errors.js';
import { checkOptionNames, positiveInteger, resolveCommon, StrideTracker, describe } from './options.js';
import { kerasV1Depth, slimV1Depth } from './scaling.js';
import type { MobileNetV1Spec, V1BlockSpec, V1Options } from './types.js';

/** The stem: 3×3 conv, 32 channels, stride 2. */
export const V1_STEM = { channels: 32, kernel: 3, stride: 2 } as const;

/** The 13 depthwise separable blocks: pointwise output channels and the depthwise stride. */
export const V1_BODY: ReadonlyArray<{ channels: number; stride: number }> = [
  { channels: 64, stride: 1 },
  { channels: 128, stride: 2 },
  { channels: 128, stride: 1 },
  { channels: 256, stride: 2 },
  { channels: 256, stride: 1 },
  { channels: 512, stride: 2 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 512, stride: 1 },
  { channels: 1024, stride: 2 },
  { channels: 1024, stride: 1 },
];

export function mobilenetV1Spec(options: V1Options = {}): MobileNetV1Spec {
  checkOptionNames('mobilenet_v1', options);
  const common = resolveCommon('mobilenet_v1', options);
  const rounding =
    options.rounding === undefined ? (common.convention === 'keras' ? 'keras' : 'slim') : options.rounding;
  if (rounding !== 'slim' && rounding !== 'keras') {
    throw invalidArgument(`rounding must be one of slim, keras, got ${describe(rounding)}`);
  }
  const minDepth = options.minDepth === undefined ? 8 : positiveInteger('minDepth', options.minDepth, 0);
  const depthMultiplier =
    options.depthMultiplier === undefined ? 1 : positiveInteger('depthMultiplier', options.depthMultiplier);
  if (options.separable !== undefined && typeof options.separable !== 'boolean') {
    throw invalidArgument(`separable must be true or false, got ${describe(options.separable)}`);
  }
  const separable = options.separable ?? true;

  const depth = (channels: number): number => {
    const d = rounding === 'slim' ? slimV1Depth(channels, common.alpha, minDepth) : kerasV1Depth(channels, common.alpha);
    if (d < 1) {
      throw invalidArgument(`alpha ${common.alpha} leaves a layer of ${channels} channels with ${d} channels; use a larger alpha or slim rounding`);
    }
    return d;
  };

  const strides = new StrideTracker(common.outputStride);
  // smallInput: the stem and the first stride-2 block run at stride 1.
  const stemPlacement = strides.next(common.smallInput ? 1 : V1_STEM.stride);
  const stemChannels = depth(V1_STEM.channels);
  const blocks: V1BlockSpec[] = [];
  let inChannels = stemChannels;
  const firstStrided = V1_BODY.findIndex((row) => row.stride === 2);
  for (const [i, row] of V1_BODY.entries()) {
    const { stride, dilation } = strides.next(common.smallInput && i === firstStrided ? 1 : row.stride);
    const outChannels = depth(row.channels);
    blocks.push({
      inChannels,
      depthwiseChannels: inChannels * depthMultiplier,
      outChannels,
      stride,
      dilation,
      separable,
    });
    inChannels = outChannels;
  }

  return {
    arch: 'mobilenet_v1',
    ...common,
    depthMultiplier,
    minDepth,
    rounding,
    separable,
    stem: { inChannels: 3, outChannels: stemChannels, kernel: V1_STEM.kernel, ...stemPlacement },
    blocks,
    head: { features: inChannels, classes: common.classes, dropout: common.dropout },
  };
}
