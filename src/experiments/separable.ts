/**
 * Full convolution vs depthwise separable convolution (MobileNetV1 §3.1, Tables 3 and 4): the
 * theoretical costs from the cost model, and both measured on this machine with the fast kernels,
 * for one layer (full conv as im2col + the 1×1 GEMM kernel; separable as the depthwise kernel + the
 * 1×1 kernel) and for a whole network (MobileNetV1 vs its "Conv MobileNet", separable: false).
 */
import { buildGraph } from '../graph/build.js';
import { graphCost } from '../graph/cost.js';
import { separableComparison, type LayerGeometry, type SeparableComparison } from '../graph/separable.js';
import * as K from '../kernels/wasm/index.js';
import { InferenceSession } from '../runtime/session.js';
import { initWeights, mulberry32 } from '../runtime/weights.js';
import { createSpec } from '../spec/registry.js';

export interface MeasuredLayer {
  /** Median ms of the full convolution: im2col (JavaScript) and the GEMM (WASM), and their sum. */
  fullMs: number;
  im2colMs: number;
  gemmMs: number;
  /** Median ms of depthwise + pointwise. */
  separableMs: number;
  depthwiseMs: number;
  pointwiseMs: number;
}

export interface SeparableLayerResult {
  theory: SeparableComparison;
  measured: MeasuredLayer;
  /** full / separable. */
  theoreticalSpeedup: number;
  measuredSpeedup: number;
}

export interface SeparableNetworkResult {
  resolution: number;
  separable: { macs: number; params: number; ms: number };
  full: { macs: number; params: number; ms: number };
  theoreticalSpeedup: number;
  measuredSpeedup: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, iterations: number): number {
  for (let i = 0; i < 2; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

/** One layer of `geometry` (stride 1, 'same' padding), full vs separable, on one thread. */
export function measureSeparableLayer(geometry: LayerGeometry, iterations = 20): SeparableLayerResult {
  const theory = separableComparison(geometry);
  const { size: s, inChannels: m, outChannels: n, kernel: k } = geometry;
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
  const kernels = K.instantiateKernels(K.compileKernelsModule(K.chooseVariant(true)), memory);
  const arena = new K.Arena(memory);
  const random = mulberry32(1);
  const fill = (count: number) => Float32Array.from({ length: count }, () => random() - 0.5);
  const pixels = s * s;
  const pad = Math.floor(k / 2);
  const input = arena.put(fill(pixels * m));
  const cols = arena.alloc(pixels * k * k * m);
  const full = arena.put(K.packPointwise(fill(k * k * m * n), null, k * k * m, n));
  const fullBias = full + 4 * K.pointwiseBiasOffset(k * k * m, n);
  const dw = arena.put(K.packDepthwise3x3(fill(9 * m), null, m));
  const pw = arena.put(K.packPointwise(fill(m * n), null, m, n));
  const pwBias = pw + 4 * K.pointwiseBiasOffset(m, n);
  const mid = arena.alloc(pixels * m);
  const out = arena.alloc(pixels * n);
  const desc = arena.alloc(32);
  const view = () => new DataView(memory.buffer);
  const clamp = { clampMin: -Infinity, clampMax: Infinity };
  const im2col = () => {
    const f = new Float32Array(memory.buffer);
    const x = input / 4;
    const c0 = cols / 4;
    for (let y = 0; y < s; y++) {
      for (let xx = 0; xx < s; xx++) {
        let o = c0 + (y * s + xx) * k * k * m;
        for (let ky = 0; ky < k; ky++) {
          const iy = y + ky - pad;
          for (let kx = 0; kx < k; kx++, o += m) {
            const ix = xx + kx - pad;
            if (iy < 0 || iy >= s || ix < 0 || ix >= s) f.fill(0, o, o + m);
            else f.copyWithin(o, x + (iy * s + ix) * m, x + (iy * s + ix + 1) * m);
          }
        }
      }
    }
  };
  const gemm = () => {
    K.writePointwiseDesc(view(), desc, {
      input: cols, weights: full, bias: fullBias, residual: 0, output: out, pixelStart: 0, pixelEnd: pixels, inChannels: k * k * m, outChannels: n,
      channelStart: 0, channelEnd: n, inStride: k * k * m, outStride: n, accumulate: false, ...clamp,
    });
    kernels.exports.pointwise(desc);
  };
  const depthwise = () => {
    K.writeDepthwise3x3Desc(view(), desc, {
      input, weights: dw, output: mid, inHeight: s, inWidth: s, channels: m, inStride: m, outStride: m, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      padTop: 1, padLeft: 1, outHeight: s, outWidth: s, rowStart: 0, rowEnd: s, inputRowBase: 0, ...clamp,
    });
    kernels.exports.depthwise3x3(desc);
  };
  const pointwise = () => {
    K.writePointwiseDesc(view(), desc, {
      input: mid, weights: pw, bias: pwBias, residual: 0, output: out, pixelStart: 0, pixelEnd: pixels, inChannels: m, outChannels: n,
      channelStart: 0, channelEnd: n, inStride: m, outStride: n, accumulate: false, ...clamp,
    });
    kernels.exports.pointwise(desc);
  };
  const im2colMs = time(im2col, iterations);
  const gemmMs = time(gemm, iterations);
  const fullMs = time(() => { im2col(); gemm(); }, iterations);
  const depthwiseMs = time(depthwise, iterations);
  const pointwiseMs = time(pointwise, iterations);
  const separableMs = time(() => { depthwise(); pointwise(); }, iterations);
  return {
    theory,
    measured: { fullMs, im2colMs, gemmMs, separableMs, depthwiseMs, pointwiseMs },
    theoreticalSpeedup: theory.full.macs / theory.separable.macs,
    measuredSpeedup: fullMs / separableMs,
  };
}

/** MobileNetV1 vs "Conv MobileNet" (every separable pair a full 3×3 conv), cost model and measured. */
export async function measureSeparableNetwork(resolution = 224, iterations = 10): Promise<SeparableNetworkResult> {
  const result = { resolution } as SeparableNetworkResult;
  for (const separable of [true, false]) {
    const graph = buildGraph(createSpec('mobilenet_v1', { resolution, separable }));
    const cost = graphCost(graph);
    const session = await InferenceSession.create(graph, initWeights(graph), { threads: 1 });
    const [h, w] = graph.input.shape as [number, number, number];
    const x = new Float32Array(h * w * 3).fill(0.5);
    const ms = time(() => session.run(x), iterations);
    await session.release();
    const entry = { macs: cost.totals.macs, params: cost.totals.params.weights, ms };
    if (separable) result.separable = entry;
    else result.full = entry;
  }
  result.theoreticalSpeedup = result.full.macs / result.separable.macs;
  result.measuredSpeedup = result.full.ms / result.separable.ms;
  return result;
}
