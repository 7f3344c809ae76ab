/**
 * One case of the depthwise3x3BackwardInput kernel, run and checked against the reference:
 * depthwise3x3BackwardInput.test.ts runs these at the start of the memory,
 * kernels-high-address.test.ts at and across 2³¹.
 */
import { depthwiseConv2dBackward } from '../../../../src/kernels/ref/index.js';
import {
  DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES, packDepthwise3x3Transposed, writeDepthwise3x3BackwardInputDesc,
} from '../../../../src/kernels/wasm/depthwise3x3BackwardInput.js';
import type { DepthwiseGeometry } from '../../../../src/kernels/wasm/descriptor.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { freshPlacement, kernels, Random, stridedData } from '../support.js';

/** A DepthwiseGeometry without the row range (each case runs its own row chunks). */
export interface Depthwise3x3BackwardInputCase extends Omit<DepthwiseGeometry, 'rowStart' | 'rowEnd'> {
  /** Input-row sub-ranges, run in order. */
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
}

function describe(c: Depthwise3x3BackwardInputCase): string {
  return `in ${c.inHeight}×${c.inWidth}×${c.channels} (stride ${c.inStride}) ← ${c.outHeight}×${c.outWidth} (stride ${c.outStride}) ` +
    `s${c.strideH}×${c.strideW} d${c.dilationH}×${c.dilationW} pad ${c.padTop}/${c.padLeft} rows ${JSON.stringify(c.rowChunks)}`;
}

export function runDepthwise3x3BackwardInput(variant: KernelVariant, c: Depthwise3x3BackwardInputCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = c;
  const label = `${variant} ${describe(c)}${m.where}`;

  const gradOutput = rng.array(OH * OW * C); // (1, Hout, Wout, C)
  const weight = rng.array(9 * C); // (3, 3, C, 1)
  const expected = new Float32Array(H * W * C);
  depthwiseConv2dBackward(new Float32Array(H * W * C), weight, gradOutput, expected, null, null, {
    batch: 1, inHeight: H, inWidth: W, channels: C, multiplier: 1, outHeight: OH, outWidth: OW, kernelHeight: 3, kernelWidth: 3,
    strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
  });

  const packed = packDepthwise3x3Transposed(weight, C);
  const wPtr = m.buf('rotated weights', packed.length, packed);
  const gyPtr = m.buf('gradOutput', OH * OW * c.outStride, stridedData(gradOutput, OH * OW, C, c.outStride));
  const gxPtr = m.buf('gradInput', H * W * c.inStride); // NaN sentinels: every written word must be overwritten
  const calls = c.rowChunks.map(([r0, r1]) => {
    const at = m.desc(DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES);
    writeDepthwise3x3BackwardInputDesc(m.view(), at, {
      gradOutput: gyPtr, weights: wPtr, gradInput: gxPtr, inHeight: H, inWidth: W, channels: C, inStride: c.inStride, outStride: c.outStride,
      strideH: c.strideH, strideW: c.strideW, dilationH: c.dilationH, dilationW: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
      outHeight: OH, outWidth: OW, rowStart: r0, rowEnd: r1,
    });
    return { at, r0, r1 };
  });
  const check = m.check();
  for (const call of calls) {
    k.exports.depthwise3x3BackwardInput(call.at);
    for (let iy = call.r0; iy < call.r1; iy++) {
      for (let ix = 0; ix < W; ix++) {
        for (let ch = 0; ch < C; ch++) check.expect(gxPtr + ((iy * W + ix) * c.inStride + ch) * 4, expected[(iy * W + ix) * C + ch]!);
      }
    }
    if (call.r1 > call.r0) check.verify(`${label}, after input rows [${call.r0}, ${call.r1})`);
  }
}
