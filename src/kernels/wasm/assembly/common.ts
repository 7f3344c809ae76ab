// Shared SIMD helpers of the kernels. Everything here is @inline: the kernels allocate nothing and
// keep no state, so the module has no data segments and no globals that matter (its memory is
// imported and shared with worker threads).

/** a·b + c. With relaxed SIMD (a compile-time constant) this is one fused multiply-add. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * min(max(v, lo), hi) with NaN passing through (like the reference activation): pmax(v, lo) is
 * `v < lo ? lo : v` and pmin(x, hi) is `hi < x ? hi : x`, both false for NaN, and each is a single
 * x86 instruction (f32x4.min/max are long sequences in V8).
 */
@inline export function clamp(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

/** Loads the first n (1…3) floats at p into the low lanes, zero in the others; reads nothing beyond. */
@inline export function loadPartial(p: usize, n: i32): v128 {
  if (n >= 2) {
    let v = v128.load64_zero(p);
    if (n == 3) v = v128.load32_lane(p, v, 2, 8);
    return v;
  }
  return v128.load32_zero(p);
}

/** Stores the first n (0…4) lanes of v at p; writes nothing beyond. */
@inline export function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
  } else if (n >= 2) {
    v128.store64_lane(p, v, 0);
    if (n == 3) v128.store32_lane(p, v, 2, 8);
  } else if (n == 1) {
    v128.store32_lane(p, v, 0);
  }
}

/** Loads the first n (0…4) floats at p (zeros elsewhere); reads nothing beyond. */
@inline export function loadN(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  if (n <= 0) return f32x4.splat(0);
  return loadPartial(p, n);
}

@inline export function min32(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

@inline export function max32(a: i32, b: i32): i32 {
  return a > b ? a : b;
}

/** floor(a / b) for b > 0 and any sign of a (i32 division truncates toward zero). */
@inline export function floorDiv(a: i32, b: i32): i32 {
  const q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
