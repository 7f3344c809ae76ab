/**
 * One case of the conv2dDirectBackwardWeight kernel, run and checked against the reference:
 * conv2dDirectBackwardWeight.test.ts runs these at the start of the memory,
 * kernels-high-address.test.ts at and across 2³¹.
 */
import { conv2dBackward } from '../../../../src/kernels/ref/index.js';
import {
  CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES, writeConv2dDirectBackwardWeightDesc,
} from '../../../../src/kernels/wasm/conv2dDirectBackwardWeight.js';
import type { DirectConvGeometry } from '../../../../src/kernels/wasm/descriptor.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { freshPlacement, kernels, Random } from '../support.js';

/** A DirectConvGeometry without the row range (each case runs its own row chunks). */
export interface Conv2dDirectBackwardWeightCase extends Omit<DirectConvGeometry, 'rowStart' | 'rowEnd'> {
  readonly batch: number;
  readonly bias: boolean;
  readonly accumulate: boolean;
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
}

function describe(c: Conv2dDirectBackwardWeightCase): string {
  return `N=${c.batch} in ${c.inHeight}×${c.inWidth}×${c.inChannels} → ${c.outHeight}×${c.outWidth}×${c.outChannels} k${c.kernelH}×${c.kernelW} ` +
    `s${c.strideH}×${c.strideW} d${c.dilationH}×${c.dilationW} pad ${c.padTop}/${c.padLeft}${c.bias ? ' bias' : ''}${c.accumulate ? ' accumulate' : ''}` +
    ` channels ${JSON.stringify(c.channelChunks)} rows ${JSON.stringify(c.rowChunks)}`;
}

export function runConv2dDirectBackwardWeight(variant: KernelVariant, c: Conv2dDirectBackwardWeightCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { batch: N, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW, kernelH: KH, kernelW: KW } = c;
  const label = `${variant} ${describe(c)}${m.where}`;
  const weightLength = KH * KW * CI * CO;

  const input = rng.array(N * H * W * CI);
  const gradOutput = rng.array(N * OH * OW * CO);
  const oldWeight = c.accumulate ? rng.array(weightLength, 3) : null;
  const oldBias = c.accumulate && c.bias ? rng.array(CO, 3) : null;
  const expectedWeight = oldWeight === null ? new Float32Array(weightLength) : oldWeight.slice();
  const expectedBias = oldBias === null ? new Float32Array(CO) : oldBias.slice();
  conv2dBackward(input, new Float32Array(weightLength), gradOutput, null, expectedWeight, expectedBias, {
    batch: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO, groups: 1,
    kernelHeight: KH, kernelWidth: KW, strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW,
    padTop: c.padTop, padLeft: c.padLeft,
  });

  const images = Array.from({ length: N }, (_, n) => ({
    x: m.buf(`input ${n}`, H * W * CI, input.subarray(n * H * W * CI, (n + 1) * H * W * CI)),
    gy: m.buf(`gradOutput ${n}`, OH * OW * CO, gradOutput.subarray(n * OH * OW * CO, (n + 1) * OH * OW * CO)),
  }));
  const gwPtr = m.buf('gradWeight', weightLength, oldWeight ?? undefined);
  const gbPtr = c.bias ? m.buf('gradBias', CO, oldBias ?? undefined) : 0;
  const chunks = c.channelChunks.map(([c0, c1]) => {
    const calls: number[] = [];
    for (const image of images) {
      for (const [r0, r1] of c.rowChunks) {
        const at = m.desc(CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES);
        writeConv2dDirectBackwardWeightDesc(m.view(), at, {
          input: image.x, gradOutput: image.gy, gradWeight: gwPtr, gradBias: gbPtr, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO,
          kernelH: KH, kernelW: KW, strideH: c.strideH, strideW: c.strideW, dilationH: c.dilationH, dilationW: c.dilationW,
          padTop: c.padTop, padLeft: c.padLeft, outHeight: OH, outWidth: OW, rowStart: r0, rowEnd: r1, channelStart: c0, channelEnd: c1,
          accumulate: c.accumulate || calls.length > 0,
        });
        calls.push(at);
      }
    }
    return { c0, c1, calls };
  });
  const check = m.check();
  for (const { c0, c1, calls } of chunks) {
    for (const at of calls) k.exports.conv2dDirectBackwardWeight(at);
    if (c1 === c0) continue;
    for (let row = 0; row < KH * KW * CI; row++) {
      for (let o = c0; o < c1; o++) check.expect(gwPtr + (row * CO + o) * 4, expectedWeight[row * CO + o]!);
    }
    if (c.bias) for (let o = c0; o < c1; o++) check.expect(gbPtr + o * 4, expectedBias[o]!);
    check.verify(`${label}, after output channels [${c0}, ${c1})`);
  }
}
