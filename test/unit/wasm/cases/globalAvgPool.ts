/**
 * One case of the globalAvgPool kernel and one of its backward, run and checked against the
 * reference: globalAvgPool.test.ts and globalAvgPoolBackward.test.ts run these at the start of the
 * memory, kernels-high-address.test.ts at and across 2³¹.
 */
import { globalAvgPool, globalAvgPoolBackward } from '../../../../src/kernels/ref/index.js';
import { GLOBAL_AVG_POOL_DESC_BYTES, writeGlobalAvgPoolDesc } from '../../../../src/kernels/wasm/globalAvgPool.js';
import { GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES, writeGlobalAvgPoolBackwardDesc } from '../../../../src/kernels/wasm/globalAvgPoolBackward.js';
import type { KernelVariant } from '../../../../src/kernels/wasm/module.js';
import { freshPlacement, kernels, Random, stridedData } from '../support.js';

export interface GlobalAvgPoolCase {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Floats from one pixel to the next. */
  readonly stride: number;
  /** Forward: channel chunks; backward: pixel chunks. */
  readonly chunks: ReadonlyArray<readonly [number, number]>;
}

function describe(variant: KernelVariant, c: GlobalAvgPoolCase): string {
  return `${variant} ${c.height}×${c.width}×${c.channels} stride ${c.stride}`;
}

export function runGlobalAvgPool(variant: KernelVariant, c: GlobalAvgPoolCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { height, width, channels, stride } = c;
  const pixels = height * width;
  const input = rng.array(pixels * channels, 4); // (1, H, W, C)
  const expected = new Float32Array(channels);
  globalAvgPool(input, expected, { batch: 1, height, width, channels });

  const inPtr = m.buf('input', pixels * stride, stridedData(input, pixels, channels, stride));
  const outPtr = m.buf('output', channels);
  const calls = c.chunks.map(([c0, c1]) => {
    const at = m.desc(GLOBAL_AVG_POOL_DESC_BYTES);
    writeGlobalAvgPoolDesc(m.view(), at, { input: inPtr, output: outPtr, pixels, channels, stride, channelStart: c0, channelEnd: c1 });
    return { at, c0, c1 };
  });
  const check = m.check();
  for (const call of calls) {
    k.exports.globalAvgPool(call.at);
    for (let ch = call.c0; ch < call.c1; ch++) check.expect(outPtr + ch * 4, expected[ch]!);
    check.verify(`${describe(variant, c)}${m.where}, after channels [${call.c0}, ${call.c1})`, 1e-5);
  }
}

export function runGlobalAvgPoolBackward(variant: KernelVariant, c: GlobalAvgPoolCase, seed: number, m = freshPlacement(variant)): void {
  const rng = new Random(seed);
  const k = kernels(variant);
  const { height, width, channels, stride } = c;
  const pixels = height * width;
  const gradOutput = rng.array(channels, 5);
  const expected = new Float32Array(pixels * channels);
  globalAvgPoolBackward(gradOutput, expected, { batch: 1, height, width, channels });
  const gyPtr = m.buf('gradOutput', channels, gradOutput);
  const gxPtr = m.buf('gradInput', pixels * stride);
  const calls = c.chunks.map(([p0, p1]) => {
    const at = m.desc(GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES);
    writeGlobalAvgPoolBackwardDesc(m.view(), at, { gradOutput: gyPtr, gradInput: gxPtr, pixels, channels, stride, pixelStart: p0, pixelEnd: p1 });
    return { at, p0, p1 };
  });
  const check = m.check();
  for (const { at, p0, p1 } of calls) {
    k.exports.globalAvgPoolBackward(at);
    for (let p = p0; p < p1; p++) {
      for (let ch = 0; ch < channels; ch++) check.expect(gxPtr + (p * stride + ch) * 4, expected[p * channels + ch]!);
    }
    if (p1 > p0) check.verify(`${describe(variant, c)}${m.where}, after pixels [${p0}, ${p1})`, 1e-6);
  }
}
