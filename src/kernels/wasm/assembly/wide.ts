// Float64 helpers of the statistics kernels (channelStats, bnBackwardReduce, bnBackwardApply): their
// per-channel sums are float64 arrays. Four float32 lanes are two f64x2 halves; partial groups (1–3
// channels) read and write only their live doubles.

/** The high two lanes of a f32x4, widened to f64x2. */
@inline export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** The low two lanes of a f32x4, widened to f64x2. */
@inline export function promoteLow(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** Two f64x2 narrowed to one f32x4 (lo lanes 0–1, hi lanes 2–3). */
@inline export function demote2(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** The first n (1…4) doubles at p as (lo, hi) pairs; zeros elsewhere; reads nothing beyond. */
@inline export function loadF64Lo(p: usize, n: i32): v128 {
  return n >= 2 ? v128.load(p) : v128.load64_zero(p);
}

@inline export function loadF64Hi(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p, 16);
  if (n == 3) return v128.load64_zero(p, 16);
  return f64x2.splat(0);
}

/** doubles[0…n) at p += (lo, hi) (n = 1…4); writes nothing beyond. */
@inline export function addF64(p: usize, lo: v128, hi: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, f64x2.add(v128.load(p), lo));
    v128.store(p, f64x2.add(v128.load(p, 16), hi), 16);
  } else if (n >= 2) {
    v128.store(p, f64x2.add(v128.load(p), lo));
    if (n == 3) v128.store64_lane(p, f64x2.add(v128.load64_zero(p, 16), hi), 0, 16);
  } else {
    v128.store64_lane(p, f64x2.add(v128.load64_zero(p), lo), 0);
  }
}

/** Zeroes doubles [cStart, cEnd) at p. */
@inline export function zeroF64(p: usize, cStart: i32, cEnd: i32): void {
  for (let c = cStart; c < cEnd; c++) store<f64>(p + ((c as usize) << 3), 0);
}
