/**
 * Throughput of the WebAssembly SIMD kernels on MobileNetV2 1.0-224's real layer shapes, one thread,
 * plain SIMD and relaxed SIMD: GFLOP/s = 2·MACs / time (median of ≥ 21 samples after warm-up; each
 * sample repeats the call enough to last ≥ 1 ms). Depthwise and pooling also report GB/s (input read
 * once + output written once). The last section sums the per-layer medians over the whole network.
 *
 *   node dist/bench/kernels.js [--quick] [--min] [--json out.json]
 *
 * --min reports the fastest sample instead of the median (steadier on a busy machine, for tuning).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { samePadding } from '../src/kernels/ref/index.js';
import { Arena } from '../src/kernels/wasm/arena.js';
import { CONV2D_DIRECT_DESC_BYTES, conv2dDirectBiasOffset, packConv2dDirect, writeConv2dDirectDesc } from '../src/kernels/wasm/conv2dDirect.js';
import { DEPTHWISE3X3_DESC_BYTES, packDepthwise3x3, writeDepthwise3x3Desc } from '../src/kernels/wasm/depthwise3x3.js';
import { GLOBAL_AVG_POOL_DESC_BYTES, writeGlobalAvgPoolDesc } from '../src/kernels/wasm/globalAvgPool.js';
import { compileKernelsModule, instantiateKernels, type KernelVariant, type WasmKernels } from '../src/kernels/wasm/module.js';
import { POINTWISE_DESC_BYTES, packPointwise, pointwiseBiasOffset, writePointwiseDesc } from '../src/kernels/wasm/pointwise.js';
import { enableRelaxedSimd } from '../src/node/wasm-features.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonIndex = args.indexOf('--json');
const jsonPath = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
const SAMPLES = quick ? 9 : 21;
const SAMPLE_MS = quick ? 0.5 : 1;
const STAT: 'median' | 'min' = args.includes('--min') ? 'min' : 'median';

type Kind = 'pointwise' | 'depthwise3x3' | 'conv2dDirect' | 'globalAvgPool';

interface Layer {
  readonly kind: Kind;
  readonly name: string;
  readonly macs: number;
  /** Bytes of activations read and written once (depthwise and pooling). */
  readonly bytes: number;
  /** Sets up buffers and the descriptor in the arena; returns the descriptor's offset. */
  readonly setup: (arena: Arena) => number;
}

function fill(arena: Arena, count: number, scale = 1): number {
  const at = arena.alloc(count);
  const view = arena.f32(at, count);
  for (let i = 0; i < count; i++) view[i] = Math.sin(i * 0.7311 + count) * scale;
  return at;
}

function pointwiseLayer(size: number, inChannels: number, outChannels: number, clamp: 'relu6' | 'linear', residual = false): Layer {
  const pixels = size * size;
  return {
    kind: 'pointwise',
    name: `pw ${size}²×${inChannels}→${outChannels}${residual ? ' +res' : ''}`,
    macs: pixels * inChannels * outChannels,
    bytes: pixels * (inChannels + outChannels * (residual ? 2 : 1)) * 4,
    setup: (arena) => {
      const weight = new Float32Array(inChannels * outChannels).map((_, i) => Math.cos(i) / Math.sqrt(inChannels));
      const packed = packPointwise(weight, new Float32Array(outChannels).fill(0.1), inChannels, outChannels);
      const weights = arena.put(packed);
      const input = fill(arena, pixels * inChannels);
      const output = arena.alloc(pixels * outChannels);
      const res = residual ? fill(arena, pixels * outChannels) : 0;
      const at = arena.allocBytes(POINTWISE_DESC_BYTES);
      writePointwiseDesc(arena.view(), at, {
        input, weights, bias: weights + pointwiseBiasOffset(inChannels, outChannels) * 4, residual: res, output,
        pixelStart: 0, pixelEnd: pixels, inChannels, outChannels, channelStart: 0, channelEnd: outChannels,
        inStride: inChannels, outStride: outChannels, accumulate: false,
        clampMin: clamp === 'relu6' ? 0 : -Infinity, clampMax: clamp === 'relu6' ? 6 : Infinity,
      });
      return at;
    },
  };
}

function depthwiseLayer(size: number, channels: number, stride: number): Layer {
  const same = samePadding(size, 3, stride, 1);
  const out = same.out;
  return {
    kind: 'depthwise3x3',
    name: `dw ${size}²×${channels} s${stride}`,
    macs: out * out * channels * 9,
    bytes: (size * size + out * out) * channels * 4,
    setup: (arena) => {
      const weight = new Float32Array(9 * channels).map((_, i) => Math.cos(i) * 0.3);
      const weights = arena.put(packDepthwise3x3(weight, new Float32Array(channels).fill(0.1), channels));
      const input = fill(arena, size * size * channels);
      const output = arena.alloc(out * out * channels);
      const at = arena.allocBytes(DEPTHWISE3X3_DESC_BYTES);
      writeDepthwise3x3Desc(arena.view(), at, {
        input, weights, output, inHeight: size, inWidth: size, channels, inStride: channels, outStride: channels,
        strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, padTop: same.before, padLeft: same.before,
        outHeight: out, outWidth: out, rowStart: 0, rowEnd: out, inputRowBase: 0, clampMin: 0, clampMax: 6,
      });
      return at;
    },
  };
}

function stemLayer(size: number, outChannels: number): Layer {
  const same = samePadding(size, 3, 2, 1);
  const out = same.out;
  return {
    kind: 'conv2dDirect',
    name: `stem ${size}²×3→${outChannels} s2`,
    macs: out * out * outChannels * 27,
    bytes: (size * size * 3 + out * out * outChannels) * 4,
    setup: (arena) => {
      const weight = new Float32Array(27 * outChannels).map((_, i) => Math.cos(i) * 0.2);
      const packed = packConv2dDirect(weight, new Float32Array(outChannels).fill(0.1), 3, 3, 3, outChannels);
      const weights = arena.put(packed);
      const input = fill(arena, size * size * 3);
      const output = arena.alloc(out * out * outChannels);
      const at = arena.allocBytes(CONV2D_DIRECT_DESC_BYTES);
      writeConv2dDirectDesc(arena.view(), at, {
        input, weights, bias: weights + conv2dDirectBiasOffset(3, 3, 3, outChannels) * 4, output, inHeight: size, inWidth: size,
        inChannels: 3, outChannels, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1,
        padTop: same.before, padLeft: same.before, outHeight: out, outWidth: out, rowStart: 0, rowEnd: out, clampMin: 0, clampMax: 6,
      });
      return at;
    },
  };
}

function poolLayer(size: number, channels: number): Layer {
  return {
    kind: 'globalAvgPool',
    name: `avgpool ${size}²×${channels}`,
    macs: size * size * channels / 2, // one add per element: counted as 1 FLOP
    bytes: (size * size + 1) * channels * 4,
    setup: (arena) => {
      const input = fill(arena, size * size * channels);
      const output = arena.alloc(channels);
      const at = arena.allocBytes(GLOBAL_AVG_POOL_DESC_BYTES);
      writeGlobalAvgPoolDesc(arena.view(), at, { input, output, pixels: size * size, channels, stride: channels, channelStart: 0, channelEnd: channels });
      return at;
    },
  };
}

/** Every layer of MobileNetV2 1.0-224 in order (the [t, c, n, s] table of the paper), with the classifier as a pointwise. */
function mobilenetV2Layers(): Layer[] {
  const layers: Layer[] = [stemLayer(224, 32)];
  let size = 112;
  let channels = 32;
  for (const [t, c, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]] as const) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = channels * t;
      if (t !== 1) layers.push(pointwiseLayer(size, channels, hidden, 'relu6'));
      layers.push(depthwiseLayer(size, hidden, stride));
      const outSize = Math.ceil(size / stride);
      layers.push(pointwiseLayer(outSize, hidden, c, 'linear', stride === 1 && channels === c));
      size = outSize;
      channels = c;
    }
  }
  layers.push(pointwiseLayer(7, 320, 1280, 'relu6'), poolLayer(7, 1280), pointwiseLayer(1, 1280, 1000, 'linear'));
  return layers;
}

/** The shapes the table reports (a representative subset of the network, plus its totals). */
const TABLE: Layer[] = [
  pointwiseLayer(112, 32, 16, 'linear'),
  pointwiseLayer(112, 16, 96, 'relu6'),
  pointwiseLayer(56, 24, 144, 'relu6'),
  pointwiseLayer(56, 144, 24, 'linear', true),
  pointwiseLayer(28, 192, 32, 'linear', true),
  pointwiseLayer(28, 32, 192, 'relu6'),
  pointwiseLayer(14, 384, 64, 'linear', true),
  pointwiseLayer(14, 576, 96, 'linear', true),
  pointwiseLayer(7, 960, 160, 'linear', true),
  pointwiseLayer(7, 160, 960, 'relu6'),
  pointwiseLayer(7, 320, 1280, 'relu6'),
  pointwiseLayer(1, 1280, 1000, 'linear'),
  depthwiseLayer(112, 32, 1),
  depthwiseLayer(112, 96, 2),
  depthwiseLayer(56, 144, 1),
  depthwiseLayer(56, 144, 2),
  depthwiseLayer(28, 192, 1),
  depthwiseLayer(14, 576, 1),
  depthwiseLayer(7, 960, 1),
  stemLayer(224, 32),
  poolLayer(7, 1280),
];

/** Seconds per call: the median (or with --min the fastest) of SAMPLES samples. */
function timeCall(run: () => void): number {
  for (let i = 0; i < 3; i++) run();
  let t0 = performance.now();
  run();
  const once = Math.max(performance.now() - t0, 1e-3);
  const reps = Math.max(1, Math.ceil(SAMPLE_MS / once));
  for (let i = 0; i < reps * 3; i++) run(); // warm-up
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    samples.push((performance.now() - t0) / reps);
  }
  samples.sort((a, b) => a - b);
  return (STAT === 'min' ? samples[0]! : samples[samples.length >> 1]!) / 1000;
}

function measure(k: WasmKernels, layer: Layer): number {
  const arena = new Arena(k.memory, 64);
  const desc = layer.setup(arena);
  const fn = k.exports[layer.kind];
  return timeCall(() => fn(desc));
}

function main(): void {
  if (!enableRelaxedSimd()) throw new Error('relaxed SIMD is not available on this runtime');
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 65536, shared: true });
  const variants: KernelVariant[] = ['simd', 'relaxed'];
  const kernels = variants.map((v) => instantiateKernels(compileKernelsModule(v), memory));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`WebAssembly kernels, one thread, ${cpu}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`${STAT} of ${SAMPLES} samples (each ≥ ${SAMPLE_MS} ms of repeated calls)\n`);

  const results: Array<Record<string, number | string>> = [];
  console.log('| layer | MFLOP | simd GFLOP/s | relaxed GFLOP/s | relaxed µs | GB/s (relaxed) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const layer of TABLE) {
    const seconds = kernels.map((k) => measure(k, layer));
    const flop = 2 * layer.macs;
    const gflops = seconds.map((s) => flop / s / 1e9);
    const gbps = layer.kind === 'depthwise3x3' || layer.kind === 'globalAvgPool' || layer.kind === 'conv2dDirect' ? (layer.bytes / seconds[1]! / 1e9).toFixed(1) : '';
    console.log(`| ${layer.name} | ${(flop / 1e6).toFixed(1)} | ${gflops[0]!.toFixed(1)} | ${gflops[1]!.toFixed(1)} | ${(seconds[1]! * 1e6).toFixed(0)} | ${gbps} |`);
    results.push({ layer: layer.name, mflop: flop / 1e6, simd: gflops[0]!, relaxed: gflops[1]!, relaxedMicroseconds: seconds[1]! * 1e6 });
  }

  // Whole network: the sum of each layer's median, per kind.
  const network = mobilenetV2Layers();
  const totals = kernels.map(() => new Map<Kind, { seconds: number; flop: number }>());
  for (const layer of network) {
    kernels.forEach((k, i) => {
      const seconds = measure(k, layer);
      const entry = totals[i]!.get(layer.kind) ?? { seconds: 0, flop: 0 };
      entry.seconds += seconds;
      entry.flop += 2 * layer.macs;
      totals[i]!.set(layer.kind, entry);
    });
  }
  console.log(`\nMobileNetV2 1.0-224, all ${network.length} layers, sum of per-layer medians (warm caches, one thread):`);
  console.log('| kernel | MFLOP | simd ms | relaxed ms | simd GFLOP/s | relaxed GFLOP/s |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const sum = variants.map(() => ({ seconds: 0, flop: 0 }));
  for (const kind of ['conv2dDirect', 'pointwise', 'depthwise3x3', 'globalAvgPool'] as const) {
    const row = totals.map((t) => t.get(kind)!);
    row.forEach((r, i) => {
      sum[i]!.seconds += r.seconds;
      sum[i]!.flop += r.flop;
    });
    console.log(`| ${kind} | ${(row[0]!.flop / 1e6).toFixed(1)} | ${(row[0]!.seconds * 1e3).toFixed(2)} | ${(row[1]!.seconds * 1e3).toFixed(2)} | ` +
      `${(row[0]!.flop / row[0]!.seconds / 1e9).toFixed(1)} | ${(row[1]!.flop / row[1]!.seconds / 1e9).toFixed(1)} |`);
  }
  console.log(`| total | ${(sum[0]!.flop / 1e6).toFixed(1)} | ${(sum[0]!.seconds * 1e3).toFixed(2)} | ${(sum[1]!.seconds * 1e3).toFixed(2)} | ` +
    `${(sum[0]!.flop / sum[0]!.seconds / 1e9).toFixed(1)} | ${(sum[1]!.flop / sum[1]!.seconds / 1e9).toFixed(1)} |`);
  if (jsonPath !== undefined) {
    writeFileSync(jsonPath, JSON.stringify({ date: new Date().toISOString(), cpu, node: process.version, layers: results, network: { simdMs: sum[0]!.seconds * 1e3, relaxedMs: sum[1]!.seconds * 1e3 } }, null, 2));
  }
}

main();
