// globalAvgPoolBackward: gradInput[p, c] = gradOutput[c] / pixels for p in [pixelStart, pixelEnd),
// every c < channels, of one image. The descriptor is documented in src/kernels/wasm/README.md.
import { loadN, storeN } from './common';
import {
  GPB_CHANNELS, GPB_GRAD_INPUT, GPB_GRAD_OUTPUT, GPB_PIXEL_END, GPB_PIXEL_START, GPB_PIXELS, GPB_STRIDE,
} from './layout';

export function globalAvgPoolBackward(d: usize): void {
  const gradOutput = load<u32>(d, GPB_GRAD_OUTPUT) as usize;
  const gradInput = load<u32>(d, GPB_GRAD_INPUT) as usize;
  const pixels = load<i32>(d, GPB_PIXELS);
  const channels = load<i32>(d, GPB_CHANNELS);
  const ps = (load<i32>(d, GPB_STRIDE) as usize) << 2;
  const pixelStart = load<i32>(d, GPB_PIXEL_START);
  const pixelEnd = load<i32>(d, GPB_PIXEL_END);
  const count = f32x4.splat(<f32>pixels);
  const first = gradInput + (pixelStart as usize) * ps;
  const n = pixelEnd - pixelStart;

  let c = 0;
  for (; c + 16 <= channels; c += 16) {
    const cb = (c as usize) << 2;
    const v0 = f32x4.div(v128.load(gradOutput + cb), count);
    const v1 = f32x4.div(v128.load(gradOutput + cb, 16), count);
    const v2 = f32x4.div(v128.load(gradOutput + cb, 32), count);
    const v3 = f32x4.div(v128.load(gradOutput + cb, 48), count);
    let q = first + cb;
    for (let i = n; i > 0; i--) {
      v128.store(q, v0);
      v128.store(q, v1, 16);
      v128.store(q, v2, 32);
      v128.store(q, v3, 48);
      q += ps;
    }
  }
  for (; c < channels; c += 4) {
    const lanes = channels - c;
    const cb = (c as usize) << 2;
    let q = first + cb;
    if (lanes >= 4) {
      const v = f32x4.div(v128.load(gradOutput + cb), count);
      for (let i = n; i > 0; i--) {
        v128.store(q, v);
        q += ps;
      }
    } else {
      const v = f32x4.div(loadN(gradOutput + cb, lanes), count);
      for (let i = n; i > 0; i--) {
        storeN(q, v, lanes);
        q += ps;
      }
    }
  }
}
