/**
 * MobileNetV2's Figure 1: why the bottlenecks are linear. A 2-D spiral is embedded into n
 * dimensions by a random matrix T, passed through ReLU, and projected back with T's pseudo-inverse.
 * For small n, ReLU destroys much of the manifold (whole regions collapse onto the axes); as n
 * grows, enough coordinates stay positive everywhere for the projection to recover it. With the
 * identity instead of ReLU the recovery is exact for every n.
 */
import { invalidArgument } from '../errors.js';
import { gaussian, mulberry32 } from '../runtime/weights.js';

export interface ManifoldOptions {
  /** Embedding dimensions to try. Default [2, 3, 5, 15, 30] (the paper's). */
  dims?: number[];
  /** Points on the spiral. Default 1000. */
  points?: number;
  /** Random matrices T per dimension for the mean error (the figure shows the first). Default 20. */
  trials?: number;
  seed?: number;
}

export interface ManifoldRun {
  n: number;
  /**
   * Mean over trials of min_A ‖x̂A − x‖² / ‖x‖² (A a 2×2 matrix fitted by least squares): how much
   * of the spiral cannot be recovered by any linear map. The raw projection x̂ tends to x/2 as n
   * grows (ReLU keeps the positive half of each coordinate, and the negative halves average out),
   * so the shape, not the scale, is what is measured.
   */
  reluError: number;
  /** Mean over trials of the raw ‖x̂ − x‖² / ‖x‖². */
  reluRawError: number;
  /** Standard deviation of the trials' errors. */
  reluErrorStd: number;
  linearError: number;
  /** The first trial's reconstruction after ReLU, (points, 2). */
  relu: Float64Array;
  /** The first trial's reconstruction with the identity, (points, 2). */
  linear: Float64Array;
}

export interface ManifoldResult {
  /** The input spiral, (points, 2), and each point's position along it in [0, 1]. */
  spiral: Float64Array;
  position: Float64Array;
  runs: ManifoldRun[];
  options: Required<ManifoldOptions>;
}

/** An Archimedean spiral of `m` points, centred on the origin, radius up to 1. */
export function spiral(m: number): { points: Float64Array; position: Float64Array } {
  const points = new Float64Array(2 * m);
  const position = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const t = i / (m - 1);
    const angle = 3 * 2 * Math.PI * t;
    const r = 0.05 + 0.95 * t;
    points[2 * i] = r * Math.cos(angle);
    points[2 * i + 1] = r * Math.sin(angle);
    position[i] = t;
  }
  return { points, position };
}

/** T⁺ = (TᵀT)⁻¹Tᵀ for T of shape (n, 2): returns (2, n). */
export function pseudoInverse(T: Float64Array, n: number): Float64Array {
  let a = 0;
  let b = 0;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const t0 = T[2 * i]!;
    const t1 = T[2 * i + 1]!;
    a += t0 * t0;
    b += t0 * t1;
    d += t1 * t1;
  }
  const det = a * d - b * b;
  const pinv = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t0 = T[2 * i]!;
    const t1 = T[2 * i + 1]!;
    pinv[i] = (d * t0 - b * t1) / det;
    pinv[n + i] = (-b * t0 + a * t1) / det;
  }
  return pinv;
}

function reconstruct(x: Float64Array, m: number, T: Float64Array, pinv: Float64Array, n: number, relu: boolean): Float64Array {
  const out = new Float64Array(2 * m);
  for (let p = 0; p < m; p++) {
    const x0 = x[2 * p]!;
    const x1 = x[2 * p + 1]!;
    let r0 = 0;
    let r1 = 0;
    for (let i = 0; i < n; i++) {
      let y = T[2 * i]! * x0 + T[2 * i + 1]! * x1;
      if (relu && y < 0) y = 0;
      r0 += pinv[i]! * y;
      r1 += pinv[n + i]! * y;
    }
    out[2 * p] = r0;
    out[2 * p + 1] = r1;
  }
  return out;
}

/** min_A ‖aA − b‖² / ‖b‖² for (m, 2) point sets: the 2×2 normal equations. */
export function linearFitError(a: Float64Array, b: Float64Array): number {
  let s00 = 0;
  let s01 = 0;
  let s11 = 0;
  let c00 = 0;
  let c01 = 0;
  let c10 = 0;
  let c11 = 0;
  for (let i = 0; i < a.length; i += 2) {
    const a0 = a[i]!;
    const a1 = a[i + 1]!;
    s00 += a0 * a0;
    s01 += a0 * a1;
    s11 += a1 * a1;
    c00 += a0 * b[i]!;
    c01 += a0 * b[i + 1]!;
    c10 += a1 * b[i]!;
    c11 += a1 * b[i + 1]!;
  }
  const det = s00 * s11 - s01 * s01;
  if (Math.abs(det) < 1e-300) return 1;
  // A = (aᵀa)⁻¹ aᵀb
  const A00 = (s11 * c00 - s01 * c10) / det;
  const A01 = (s11 * c01 - s01 * c11) / det;
  const A10 = (-s01 * c00 + s00 * c10) / det;
  const A11 = (-s01 * c01 + s00 * c11) / det;
  const fit = new Float64Array(a.length);
  for (let i = 0; i < a.length; i += 2) {
    fit[i] = a[i]! * A00 + a[i + 1]! * A10;
    fit[i + 1] = a[i]! * A01 + a[i + 1]! * A11;
  }
  return relativeError(fit, b);
}

function relativeError(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return num / den;
}

export function manifoldExperiment(options: ManifoldOptions = {}): ManifoldResult {
  const dims = options.dims ?? [2, 3, 5, 15, 30];
  const points = options.points ?? 1000;
  const trials = options.trials ?? 20;
  const seed = options.seed ?? 0;
  if (!Array.isArray(dims) || dims.length === 0 || dims.some((n) => !Number.isInteger(n) || n < 2 || n > 10_000)) {
    throw invalidArgument(`dims must be integers from 2 to 10000, got ${JSON.stringify(dims)}`);
  }
  if (!Number.isInteger(points) || points < 3 || points > 1_000_000) throw invalidArgument(`points must be an integer from 3 to 1000000, got ${points}`);
  if (!Number.isInteger(trials) || trials < 1 || trials > 10_000) throw invalidArgument(`trials must be an integer from 1 to 10000, got ${trials}`);
  const { points: x, position } = spiral(points);
  const runs: ManifoldRun[] = [];
  for (const n of dims) {
    const normal = gaussian(mulberry32((seed * 7919 + n) >>> 0));
    const errors: number[] = [];
    const raw: number[] = [];
    let first: { relu: Float64Array; linear: Float64Array; linearError: number } | undefined;
    for (let trial = 0; trial < trials; trial++) {
      const T = Float64Array.from({ length: 2 * n }, () => normal());
      const pinv = pseudoInverse(T, n);
      const relu = reconstruct(x, points, T, pinv, n, true);
      errors.push(linearFitError(relu, x));
      raw.push(relativeError(relu, x));
      if (trial === 0) {
        const linear = reconstruct(x, points, T, pinv, n, false);
        first = { relu, linear, linearError: relativeError(linear, x) };
      }
    }
    const mean = errors.reduce((s, e) => s + e, 0) / errors.length;
    const std = Math.sqrt(errors.reduce((s, e) => s + (e - mean) ** 2, 0) / errors.length);
    const rawMean = raw.reduce((s, e) => s + e, 0) / raw.length;
    runs.push({ n, reluError: mean, reluRawError: rawMean, reluErrorStd: std, linearError: first!.linearError, relu: first!.relu, linear: first!.linear });
  }
  return { spiral: x, position, runs, options: { dims, points, trials, seed } };
}
