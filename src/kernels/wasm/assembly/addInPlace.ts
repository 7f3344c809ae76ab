// addInPlace: target[i] += source[i] for i in [start, end) (summing the gradients of a tensor with
// two consumers, e.g. a residual block's input). The descriptor is documented in
// src/kernels/wasm/README.md.
import { loadN, storeN } from './common';
import { AIP_END, AIP_SOURCE, AIP_START, AIP_TARGET } from './layout';

export function addInPlace(d: usize): void {
  const target = load<u32>(d, AIP_TARGET) as usize;
  const source = load<u32>(d, AIP_SOURCE) as usize;
  const start = load<i32>(d, AIP_START);
  const end = load<i32>(d, AIP_END);
  let a = target + ((start as usize) << 2);
  let b = source + ((start as usize) << 2);
  let n = end - start;
  for (; n >= 16; n -= 16) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const b2 = v128.load(b, 32);
    const b3 = v128.load(b, 48);
    v128.store(a, f32x4.add(v128.load(a), b0));
    v128.store(a, f32x4.add(v128.load(a, 16), b1), 16);
    v128.store(a, f32x4.add(v128.load(a, 32), b2), 32);
    v128.store(a, f32x4.add(v128.load(a, 48), b3), 48);
    a += 64;
    b += 64;
  }
  for (; n >= 4; n -= 4) {
    v128.store(a, f32x4.add(v128.load(a), v128.load(b)));
    a += 16;
    b += 16;
  }
  if (n > 0) storeN(a, f32x4.add(loadN(a, n), loadN(b, n)), n);
}
