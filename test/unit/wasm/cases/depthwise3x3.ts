/**
 * One case of the depthwise3x3 kernel, run and checked against the reference: depthwise3x3.test.ts
 * runs these at the start of the memory, kernels-high-address.test.ts at and across 2³¹.
 */
import { depthwiseConv2d } from '../../../../src/kernels/ref/index.js';
import { DEPTHWISE3X3_DESC_BYTES, packDepthwise3x3, writeDepthwise3x3Desc } from '../../../../src/kernels/wasm/depthwise3x3.js';
import type { DepthwiseGeometry } from '../../../../src/kernels/wasm/descriptor.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { applyClamp, freshPlacement, kernels, outputBands, Random, sprinkleNonFinite, stridedData, type CaseStats, type Clamp } from '../support.js';

/** A DepthwiseGeometry without the row range (each case runs its own row chunks). */
export interface Depthwise3x3Case extends Omit<DepthwiseGeometry, 'rowStart' | 'rowEnd'> {
  readonly clamp: Clamp;
  readonly bias: boolean;
  /** Row sub-ranges, run in order. */
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
  /** Give each call only the band of input rows it needs (inputRowBase = the band's first row). */
  readonly band: boolean;
  /** Each row chunk writes its own band buffer, passed as output = band − r0·outWidth·outStride·4 (>>> 0), as the engine does. */
  readonly bandOutput?: boolean;
  /** About 1% of the input is NaN, +Infinity or −Infinity. */
  readonly nonFinite?: boolean;
}

function describe(c: Depthwise3x3Case): string {
  return `in ${c.inHeight}×${c.inWidth}×${c.channels} (stride ${c.inStride}) → ${c.outHeight}×${c.outWidth} (stride ${c.outStride}) ` +
    `s${c.strideH}×${c.strideW} d${c.dilationH}×${c.dilationW} pad ${c.padTop}/${c.padLeft} ${c.clamp.name}${c.bias ? '' : ' no-bias'}` +
    ` rows ${JSON.stringify(c.rowChunks)}${c.band ? ' band' : ''}${c.bandOutput === true ? ' band-output' : ''}${c.nonFinite === true ? ' NaN/Inf' : ''}`;
}

export function runDepthwise3x3(variant: KernelVariant, c: Depthwise3x3Case, seed: number, m = freshPlacement(variant)): CaseStats {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = c;
  const label = `${variant} ${describe(c)}${m.where}`;

  const input = rng.array(H * W * C); // (1, H, W, C)
  const weight = rng.array(9 * C); // (3, 3, C, 1)
  const bias = c.bias ? rng.array(C) : null;
  if (c.nonFinite === true) sprinkleNonFinite(rng, input);
  const conv = new Float32Array(OH * OW * C);
  depthwiseConv2d(input, weight, bias, conv, {
    batch: 1, inHeight: H, inWidth: W, channels: C, multiplier: 1, outHeight: OH, outWidth: OW, kernelHeight: 3, kernelWidth: 3,
    strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
  });
  const expected = applyClamp(conv, c.clamp);

  const outRowFloats = OW * c.outStride;
  const bands = c.bandOutput === true ? outputBands(m, c.rowChunks, outRowFloats) : null;
  const packed = packDepthwise3x3(weight, bias, C);
  const wPtr = m.buf('weights', packed.length, packed);
  const whole = stridedData(input, H * W, C, c.inStride);
  const wholePtr = c.band ? 0 : m.buf('input', whole.length, whole);
  const outPtr = bands === null ? m.buf('output', OH * OW * c.outStride) : 0;
  let wrapped = 0;

  const calls = c.rowChunks.map(([r0, r1], i) => {
    // Output row oy (of the whole tensor) lives at base + oy·rowBytes: the tensor, or the chunk's band.
    const base = bands === null ? outPtr : bands[i]! - r0 * outRowFloats * 4;
    if (base < 0) wrapped++;
    let inputPtr = wholePtr;
    let inputRowBase = 0;
    if (c.band) {
      // Exactly the input rows the chunk's windows reach, in their own guarded buffer.
      const first = Math.max(0, r0 * c.strideH - c.padTop);
      const last = Math.min(H - 1, (r1 - 1) * c.strideH - c.padTop + 2 * c.dilationH);
      const rowFloats = W * c.inStride;
      if (first <= last) {
        inputPtr = m.buf(`input band ${i}`, (last - first + 1) * rowFloats, whole.subarray(first * rowFloats, (last + 1) * rowFloats));
        inputRowBase = first;
      } else {
        inputPtr = m.buf(`empty input band ${i}`, 4); // every window row is padding: nothing may be read
      }
    }
    const at = m.desc(DEPTHWISE3X3_DESC_BYTES);
    writeDepthwise3x3Desc(m.view(), at, {
      input: inputPtr, weights: wPtr, output: base >>> 0, inHeight: H, inWidth: W, channels: C, inStride: c.inStride, outStride: c.outStride,
      strideH: c.strideH, strideW: c.strideW, dilationH: c.dilationH, dilationW: c.dilationW, padTop: c.padTop, padLeft: c.padLeft,
      outHeight: OH, outWidth: OW, rowStart: r0, rowEnd: r1, inputRowBase, clampMin: c.clamp.min, clampMax: c.clamp.max,
    });
    return { at, r0, r1, base };
  });
  const check = m.check();
  let nanOutputs = 0;
  for (const call of calls) {
    k.exports.depthwise3x3(call.at);
    for (let oy = call.r0; oy < call.r1; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let ch = 0; ch < C; ch++) {
          const e = expected[(oy * OW + ox) * C + ch]!;
          check.expect(call.base + ((oy * OW + ox) * c.outStride + ch) * 4, e);
          if (Number.isNaN(e)) nanOutputs++;
        }
      }
    }
    check.verify(`${label}, after rows [${call.r0}, ${call.r1})`);
  }
  return { wrapped, nanOutputs };
}
