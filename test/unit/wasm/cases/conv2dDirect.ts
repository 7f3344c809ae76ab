/**
 * One case of the conv2dDirect kernel, run and checked against the reference: conv2dDirect.test.ts
 * runs these at the start of the memory, kernels-high-address.test.ts at and across 2³¹.
 */
import { conv2d } from '../../../../src/kernels/ref/index.js';
import { CONV2D_DIRECT_DESC_BYTES, conv2dDirectBiasOffset, packConv2dDirect, writeConv2dDirectDesc } from '../../../../src/kernels/wasm/conv2dDirect.js';
import type { DirectConvGeometry } from '../../../../src/kernels/wasm/descriptor.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { applyClamp, freshPlacement, kernels, outputBands, Random, sprinkleNonFinite, type CaseStats, type Clamp } from '../support.js';

/** A DirectConvGeometry without the row range (each case runs its own row chunks). */
export interface Conv2dDirectCase extends Omit<DirectConvGeometry, 'rowStart' | 'rowEnd'> {
  readonly clamp: Clamp;
  readonly bias: boolean;
  readonly rowChunks: ReadonlyArray<readonly [number, number]>;
  /** Each row chunk writes its own band buffer, passed as output = band − r0·outWidth·Cout·4 (>>> 0), as the engine does. */
  readonly bandOutput?: boolean;
  /** About 1% of the input is NaN, +Infinity or −Infinity. */
  readonly nonFinite?: boolean;
}

function describe(c: Conv2dDirectCase): string {
  return `in ${c.inHeight}×${c.inWidth}×${c.inChannels} → ${c.outHeight}×${c.outWidth}×${c.outChannels} k${c.kernelH}×${c.kernelW} ` +
    `s${c.strideH}×${c.strideW} d${c.dilationH}×${c.dilationW} pad ${c.padTop}/${c.padLeft} ${c.clamp.name}${c.bias ? '' : ' no-bias'} rows ${JSON.stringify(c.rowChunks)}` +
    `${c.bandOutput === true ? ' band-output' : ''}${c.nonFinite === true ? ' NaN/Inf' : ''}`;
}

/** The reference output by seed and case (the data is a function of both). */
const referenceCache = new Map<string, Float32Array>();

export function runConv2dDirect(variant: KernelVariant, c: Conv2dDirectCase, seed: number, m = freshPlacement(variant)): CaseStats {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW, kernelH: KH, kernelW: KW } = c;
  const label = `${variant} ${describe(c)}${m.where}`;

  const input = rng.array(H * W * CI); // (1, H, W, Cin)
  const weight = rng.array(KH * KW * CI * CO, 1 / Math.sqrt(KH * KW * CI)); // (kh, kw, Cin, Cout)
  const bias = c.bias ? rng.array(CO) : null;
  if (c.nonFinite === true) sprinkleNonFinite(rng, input);
  // Cases that run again with the same seed and data (both binaries, every placement) compute their reference once.
  const key = `${seed} ${describe(c)}`;
  let expected = referenceCache.get(key);
  if (expected === undefined) {
    const conv = new Float32Array(OH * OW * CO);
    conv2d(input, weight, bias, conv, {
      batch: 1, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO, groups: 1,
      kernelHeight: KH, kernelWidth: KW, strideHeight: c.strideH, strideWidth: c.strideW, dilationHeight: c.dilationH, dilationWidth: c.dilationW,
      padTop: c.padTop, padLeft: c.padLeft,
    });
    expected = applyClamp(conv, c.clamp);
    referenceCache.set(key, expected);
  }

  const rowFloats = OW * CO;
  const bands = c.bandOutput === true ? outputBands(m, c.rowChunks, rowFloats) : null;
  const packed = packConv2dDirect(weight, bias, KH, KW, CI, CO);
  const wPtr = m.buf('weights', packed.length, packed);
  const inPtr = m.buf('input', input.length, input);
  const outPtr = bands === null ? m.buf('output', OH * OW * CO) : 0;
  let wrapped = 0;
  const calls = c.rowChunks.map(([r0, r1], i) => {
    // Output i (of the whole tensor) lives at base + 4i: the tensor, or the chunk's band.
    const base = bands === null ? outPtr : bands[i]! - r0 * rowFloats * 4;
    if (base < 0) wrapped++;
    const at = m.desc(CONV2D_DIRECT_DESC_BYTES);
    writeConv2dDirectDesc(m.view(), at, {
      input: inPtr, weights: wPtr, bias: wPtr + conv2dDirectBiasOffset(KH, KW, CI, CO) * 4, output: base >>> 0,
      inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, kernelH: KH, kernelW: KW, strideH: c.strideH, strideW: c.strideW,
      dilationH: c.dilationH, dilationW: c.dilationW, padTop: c.padTop, padLeft: c.padLeft, outHeight: OH, outWidth: OW,
      rowStart: r0, rowEnd: r1, clampMin: c.clamp.min, clampMax: c.clamp.max,
    });
    return { at, r0, r1, base };
  });
  const check = m.check();
  let nanOutputs = 0;
  for (const call of calls) {
    k.exports.conv2dDirect(call.at);
    for (let i = call.r0 * rowFloats; i < call.r1 * rowFloats; i++) {
      check.expect(call.base + i * 4, expected[i]!);
      if (Number.isNaN(expected[i]!)) nanOutputs++;
    }
    check.verify(`${label}, after rows [${call.r0}, ${call.r1})`);
  }
  return { wrapped, nanOutputs };
}
