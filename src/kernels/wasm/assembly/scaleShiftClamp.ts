// scaleShiftClamp: y[p, c] = clamp(x[p, c]·scale[c] + shift[c], clampMin, clampMax) over a sub-range of
// pixels (batch norm applied with precomputed scale = γ·invStd and shift = β − mean·scale, fused with
// ReLU / ReLU6 / linear). In place allowed (output = input). The descriptor is documented in
// src/kernels/wasm/README.md.
import { clamp, loadN, madd, min32, storeN } from './common';
import {
  SSC_CHANNELS, SSC_CLAMP_MAX, SSC_CLAMP_MIN, SSC_INPUT, SSC_OUTPUT, SSC_PIXEL_END, SSC_PIXEL_START, SSC_SCALE,
  SSC_SHIFT, SSC_STRIDE,
} from './layout';

/** Pixels per block: a block's channel groups each sweep its pixels with scale and shift in registers. */
const BLOCK: i32 = 64;

export function scaleShiftClamp(d: usize): void {
  const input = load<u32>(d, SSC_INPUT) as usize;
  const output = load<u32>(d, SSC_OUTPUT) as usize;
  const scale = load<u32>(d, SSC_SCALE) as usize;
  const shift = load<u32>(d, SSC_SHIFT) as usize;
  const pixelStart = load<i32>(d, SSC_PIXEL_START);
  const pixelEnd = load<i32>(d, SSC_PIXEL_END);
  const channels = load<i32>(d, SSC_CHANNELS);
  const ps = (load<i32>(d, SSC_STRIDE) as usize) << 2;
  const lo = f32x4.splat(load<f32>(d, SSC_CLAMP_MIN));
  const hi = f32x4.splat(load<f32>(d, SSC_CLAMP_MAX));

  for (let p0 = pixelStart; p0 < pixelEnd; p0 += BLOCK) {
    const n = min32(BLOCK, pixelEnd - p0);
    const offset = (p0 as usize) * ps;
    let c = 0;
    for (; c + 8 <= channels; c += 8) {
      const cb = (c as usize) << 2;
      const a0 = v128.load(scale + cb);
      const a1 = v128.load(scale + cb, 16);
      const b0 = v128.load(shift + cb);
      const b1 = v128.load(shift + cb, 16);
      let p = input + offset + cb;
      let q = output + offset + cb;
      for (let i = n; i > 0; i--) {
        const v0 = v128.load(p);
        const v1 = v128.load(p, 16);
        v128.store(q, clamp(madd(v0, a0, b0), lo, hi));
        v128.store(q, clamp(madd(v1, a1, b1), lo, hi), 16);
        p += ps;
        q += ps;
      }
    }
    for (; c < channels; c += 4) {
      const lanes = min32(4, channels - c);
      const cb = (c as usize) << 2;
      let p = input + offset + cb;
      let q = output + offset + cb;
      if (lanes == 4) {
        const a = v128.load(scale + cb);
        const b = v128.load(shift + cb);
        for (let i = n; i > 0; i--) {
          v128.store(q, clamp(madd(v128.load(p), a, b), lo, hi));
          p += ps;
          q += ps;
        }
      } else {
        const a = loadN(scale + cb, lanes);
        const b = loadN(shift + cb, lanes);
        for (let i = n; i > 0; i--) {
          storeN(q, clamp(madd(loadN(p, lanes), a, b), lo, hi), lanes);
          p += ps;
          q += ps;
        }
      }
    }
  }
}
