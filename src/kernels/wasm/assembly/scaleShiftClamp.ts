// scaleShiftClamp: y[p, c] = clamp(x[p, c]·scale[c] + shift[c], clampMin, clampMax) over a sub-range of
// pixels (batch norm applied with precomputed scale = γ·invStd and shift = β − mean·scale, fused with
// ReLU / ReLU6 / linear). In place allowed (output = input). The descriptor is documented in
// src/kernels/wasm/README.md.
import { clamp, loadN, madd, storeN } from './common';
import {
  SSC_CHANNELS, SSC_CLAMP_MAX, SSC_CLAMP_MIN, SSC_INPUT, SSC_OUTPUT, SSC_PIXEL_END, SSC_PIXEL_START, SSC_SCALE,
  SSC_SHIFT, SSC_STRIDE,
} from './layout';

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

  // Pixel by pixel (sequential streams: the hardware prefetchers keep up even when the tensor comes
  // from L3 or memory; a channel-group-outer order over blocks of pixels streams 3–5× slower there),
  // with scale and shift reloaded from L1 for every vector.
  const full = channels >> 4 << 4; // channels in chunks of 16
  let p = input + (pixelStart as usize) * ps;
  let q = output + (pixelStart as usize) * ps;
  for (let n = pixelEnd - pixelStart; n > 0; n--) {
    let c = 0;
    let a = scale;
    let b = shift;
    for (; c < full; c += 16) {
      const cb = (c as usize) << 2;
      const v0 = v128.load(p + cb);
      const v1 = v128.load(p + cb, 16);
      const v2 = v128.load(p + cb, 32);
      const v3 = v128.load(p + cb, 48);
      v128.store(q + cb, clamp(madd(v0, v128.load(a), v128.load(b)), lo, hi));
      v128.store(q + cb, clamp(madd(v1, v128.load(a, 16), v128.load(b, 16)), lo, hi), 16);
      v128.store(q + cb, clamp(madd(v2, v128.load(a, 32), v128.load(b, 32)), lo, hi), 32);
      v128.store(q + cb, clamp(madd(v3, v128.load(a, 48), v128.load(b, 48)), lo, hi), 48);
      a += 64;
      b += 64;
    }
    for (; c < channels; c += 4) {
      const cb = (c as usize) << 2;
      const lanes = channels - c;
      if (lanes >= 4) {
        v128.store(q + cb, clamp(madd(v128.load(p + cb), v128.load(a), v128.load(b)), lo, hi));
      } else {
        storeN(q + cb, clamp(madd(loadN(p + cb, lanes), loadN(a, lanes), loadN(b, lanes)), lo, hi), lanes);
      }
      a += 16;
      b += 16;
    }
    p += ps;
    q += ps;
  }
}
