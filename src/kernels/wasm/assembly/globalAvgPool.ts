// globalAvgPool: the mean over pixels of (pixels, channels) NHWC data, for a channel sub-range,
// vectorized over channels. The descriptor is documented in src/kernels/wasm/README.md.
import { loadN, storeN } from './common';
import {
  GP_CHANNEL_END, GP_CHANNEL_START, GP_INPUT, GP_OUTPUT, GP_PIXELS, GP_STRIDE,
} from './layout';

/** output[c] = Σ_p input[p·stride + c] / pixels for c in [channelStart, channelEnd). */
export function globalAvgPool(d: usize): void {
  const input = load<u32>(d, GP_INPUT) as usize;
  const output = load<u32>(d, GP_OUTPUT) as usize;
  const pixels = load<i32>(d, GP_PIXELS);
  const ps = (load<i32>(d, GP_STRIDE) as usize) << 2;
  const channelStart = load<i32>(d, GP_CHANNEL_START);
  const channelEnd = load<i32>(d, GP_CHANNEL_END);
  const count = f32x4.splat(<f32>pixels);

  let c = channelStart;
  // 16 channels at a time: four independent sums keep the adds pipelined.
  for (; c + 16 <= channelEnd; c += 16) {
    let p = input + ((c as usize) << 2);
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    let s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0);
    for (let n = pixels; n > 0; n--) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += ps;
    }
    const o = output + ((c as usize) << 2);
    v128.store(o, f32x4.div(s0, count));
    v128.store(o, f32x4.div(s1, count), 16);
    v128.store(o, f32x4.div(s2, count), 32);
    v128.store(o, f32x4.div(s3, count), 48);
  }
  // The rest, up to 4 channels at a time; the last vector reads and writes only its live lanes.
  for (; c < channelEnd; c += 4) {
    const lanes = channelEnd - c;
    let p = input + ((c as usize) << 2);
    let s = f32x4.splat(0);
    if (lanes >= 4) {
      for (let n = pixels; n > 0; n--) {
        s = f32x4.add(s, v128.load(p));
        p += ps;
      }
    } else {
      for (let n = pixels; n > 0; n--) {
        s = f32x4.add(s, loadN(p, lanes));
        p += ps;
      }
    }
    storeN(output + ((c as usize) << 2), f32x4.div(s, count), lanes);
  }
}
