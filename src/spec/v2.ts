/**
 * MobileNetV2 as data: the `[t, c, n, s]` rows of the paper's Table 2, consumed by one loop as in
 * torchvision's mobilenetv2.py.
 */
import { invalidArgument } from '../errors.js';
import { checkOptionNames, positiveInteger, positiveNumber, resolveCommon, resolveV2Table, StrideTracker, describe } from './options.js';
import { makeDivisible, pythonRound } from './scaling.js';
import type { MobileNetV2Spec, V2BlockRow, V2BlockSpec, V2Options } from './types.js';

/** Paper Table 2: expansion t, output channels c, repeats n, stride s of the first repeat. */
export const V2_TABLE: readonly V2BlockRow[] = [
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
];

export const V2_STEM = { channels: 32, kernel: 3, stride: 2 } as const;
export const V2_LAST_CHANNELS = 1280;

export function mobilenetV2Spec(options: V2Options = {}): MobileNetV2Spec {
  checkOptionNames('mobilenet_v2', options);
  const common = resolveCommon('mobilenet_v2', options);
  const { alpha, convention } = common;
  const roundNearest = options.roundNearest === undefined ? 8 : positiveInteger('roundNearest', options.roundNearest);
  if (options.finegrain !== undefined && typeof options.finegrain !== 'boolean') {
    throw invalidArgument(`finegrain must be true or false, got ${describe(options.finegrain)}`);
  }
  const finegrain = options.finegrain ?? true;
  const expansion = options.expansion === undefined ? undefined : positiveNumber('expansion', options.expansion);
  const table = resolveV2Table(options.blocks ?? V2_TABLE).map((row) =>
    expansion !== undefined && row.t !== 1 ? { ...row, t: expansion } : row,
  );

  // Keras truncates c·α before rounding (`_make_divisible(int(filters * alpha), 8)`); torchvision
  // and slim round c·α directly. They differ only for a few unusual α.
  const blockChannels = (c: number): number =>
    convention === 'keras' ? makeDivisible(Math.trunc(c * alpha), roundNearest) : makeDivisible(c * alpha, roundNearest);
  // torchvision and Keras: round(in·t); slim: makeDivisible(in·t) (expand_input_by_factor).
  const expandedChannels = (inChannels: number, t: number): number =>
    convention === 'slim' ? makeDivisible(inChannels * t, roundNearest) : pythonRound(inChannels * t);

  const strides = new StrideTracker(common.outputStride);
  const stemChannels = makeDivisible(V2_STEM.channels * alpha, roundNearest);
  // smallInput: the stem and the first stride-2 row run at stride 1.
  const stemPlacement = strides.next(common.smallInput ? 1 : V2_STEM.stride);
  const firstStrided = table.findIndex((row) => row.s === 2);

  const blocks: V2BlockSpec[] = [];
  let inChannels = stemChannels;
  for (const [r, row] of table.entries()) {
    const outChannels = blockChannels(row.c);
    const firstStride = common.smallInput && r === firstStrided ? 1 : row.s;
    for (let i = 0; i < row.n; i++) {
      const { stride, dilation } = strides.next(i === 0 ? firstStride : 1);
      const expanded = row.t === 1 ? inChannels : expandedChannels(inChannels, row.t);
      blocks.push({
        inChannels,
        expansion: row.t,
        expandedChannels: expanded,
        outChannels,
        stride,
        dilation,
        residual: stride === 1 && inChannels === outChannels,
      });
      inChannels = outChannels;
    }
  }

  let lastChannels: number;
  if (options.lastChannels !== undefined) {
    lastChannels = positiveInteger('lastChannels', options.lastChannels);
  } else if (finegrain) {
    lastChannels = makeDivisible(V2_LAST_CHANNELS * Math.max(1, alpha), roundNearest);
  } else {
    lastChannels = makeDivisible(V2_LAST_CHANNELS * alpha, roundNearest);
  }
  const last = strides.next(1);

  return {
    arch: 'mobilenet_v2',
    ...common,
    roundNearest,
    finegrain,
    table,
    stem: { inChannels: 3, outChannels: stemChannels, kernel: V2_STEM.kernel, ...stemPlacement },
    blocks,
    lastConv: { inChannels, outChannels: lastChannels, kernel: 1, stride: 1, dilation: last.dilation },
    head: { features: lastChannels, classes: common.classes, dropout: common.dropout },
  };
}
