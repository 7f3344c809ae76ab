/**
 * One case of the depthwise3x3BackwardWeight kernel, run and checked against the reference:
 * depthwise3x3BackwardWeight.test.ts runs these at the start of the memory,
 * kernels-high-address.test.ts at and across 2³¹.
 */
import { depthwiseConv2dBackward } from '../../../../src/kernels/ref/index.js';
import {
  DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES, writeDepthwise3x3BackwardWeightDesc,
} from '../../../../src/kernels/wasm/depthwise3x3BackwardWeight.js';
import type { DepthwiseGeometry } from '../../../../src/kernels/wasm/descriptor.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { freshPlacement, kernels, Random, stridedData } from '../support.js';

/** A DepthwiseGeometry without the row range (each case runs its own row chunks). */
export interface Depthwise3x3BackwardWeightCase extends Omit<DepthwiseGeometry, 'rowStart' | 'rowEnd'> {
  readonly batch: number;
  readonly bias: boolean;
  readonly accumulate: boolean;
  /** Channel chunks (threads), each summing every image and every row chunk in turn. */
  readonly channelChunks: ReadonlyArray<readonly [number, number]>;
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
}

function describe(c: Depthwise3x3BackwardWeightCase): string {
  return `N=${c.batch} in ${c.inHeight}×${c.inWidth}×${c.channels} (stride ${c.inStride}) → ${c.outHeight}×${c.outWidth} (stride ${c.outStride}) ` +
    `s${c.strideH}×${c.strideW} d${c.dilationH}×${c.dilationW} pad ${c.padTop}/${c.padLeft}${c.bias ? ' bias' : ''}${c.accumulate ? ' accumulate' : ''}` +
    ` channels ${JSON.stringify(c.channelChunks)} rows ${JSON.stringify(c.rowChunks)}`;
}

export function runDepthwise3x3BackwardWeight(variant: KernelVariant, c: Depthwise3x3BackwardWeightCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { batch: N, inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = c;
  const label = `${variant} ${describe(c)}${m.where}`;

  const input = rng.array(N * H * W * C); // (N, H, W, C)
  const gradOutput = rng.array(N * OH * OW * C); // (N, Hout, Wout, C)
  const oldWeight = c.accumulate ? rng.array(9 * C, 3) : null;
  const oldBias = c.accumulate && c.bias ? rng.array(C, 3) : null;
  const expectedWeight = oldWeight === null ? new Float32Array(9 * C) : oldWeight.slice();
  const expectedBias = oldBias === null ? new Float32Array(C) : oldBias.slice();
  depthwiseConv2dBackward(input, new Float32Array(9 * C), gradOutput, null, expectedWeight, expectedBias, {
    batch: N, inHeight: H, inWidth: W, channels: C, multiplier: 1, outHeight: OH, outWidth: OW, kernelHeight: 3, kernelWidth: 3,
    strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
  });

  const images = Array.from({ length: N }, (_, n) => ({
    x: m.buf(`input ${n}`, H * W * c.inStride, stridedData(input.subarray(n * H * W * C, (n + 1) * H * W * C), H * W, C, c.inStride)),
    gy: m.buf(`gradOutput ${n}`, OH * OW * c.outStride, stridedData(gradOutput.subarray(n * OH * OW * C, (n + 1) * OH * OW * C), OH * OW, C, c.outStride)),
  }));
  const gwPtr = m.buf('gradWeight', 9 * C, oldWeight ?? undefined);
  const gbPtr = c.bias ? m.buf('gradBias', C, oldBias ?? undefined) : 0;
  const chunks = c.channelChunks.map(([c0, c1]) => {
    const calls: number[] = [];
    for (const image of images) {
      for (const [r0, r1] of c.rowChunks) {
        const at = m.desc(DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES);
        writeDepthwise3x3BackwardWeightDesc(m.view(), at, {
          input: image.x, gradOutput: image.gy, gradWeight: gwPtr, gradBias: gbPtr, inHeight: H, inWidth: W, channels: C,
          inStride: c.inStride, outStride: c.outStride, strideH: c.strideH, strideW: c.strideW, dilationH: c.dilationH, dilationW: c.dilationW,
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
    for (const at of calls) k.exports.depthwise3x3BackwardWeight(at);
    if (c1 === c0) continue;
    for (let ch = c0; ch < c1; ch++) {
      for (let tap = 0; tap < 9; tap++) check.expect(gwPtr + (tap * C + ch) * 4, expectedWeight[tap * C + ch]!);
      if (c.bias) check.expect(gbPtr + ch * 4, expectedBias[ch]!);
    }
    check.verify(`${label}, after channels [${c0}, ${c1})`);
  }
}
