/**
 * Throughput of the WebAssembly training kernels (backward passes and training-mode batch norm), one
 * thread, plain SIMD and relaxed SIMD, on the layer shapes of two training setups:
 *   - MobileNetV2 α = 0.35 on Fashion-MNIST: 28×28 inputs, smallInput (stem and first stride-2 row at
 *     stride 1), batch 64;
 *   - MobileNetV2 1.0-224, batch 8.
 * GFLOP/s = 2·MACs / time for the convolution gradients; GB/s (tensor bytes read + written once) for
 * the memory-bound batch-norm and element-wise kernels. Whole batches per measurement: the
 * depthwise, stem and pooling kernels run one call per image over distinct images (as the training
 * engine calls them), the others one call over all pixels. Median of ≥ 11 samples after warm-up.
 * The last tables sum every layer of each network per kernel.
 *
 *   node dist/bench/train-kernels.js [--quick] [--min] [--only fashion|224] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { samePadding } from '../src/kernels/ref/index.js';
import { ADD_IN_PLACE_DESC_BYTES, writeAddInPlaceDesc } from '../src/kernels/wasm/addInPlace.js';
import { Arena } from '../src/kernels/wasm/arena.js';
import { BN_BACKWARD_APPLY_DESC_BYTES, writeBnBackwardApplyDesc } from '../src/kernels/wasm/bnBackwardApply.js';
import { BN_BACKWARD_REDUCE_DESC_BYTES, writeBnBackwardReduceDesc } from '../src/kernels/wasm/bnBackwardReduce.js';
import { CHANNEL_STATS_DESC_BYTES, trainingScratchFloats, writeChannelStatsDesc } from '../src/kernels/wasm/channelStats.js';
import { CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES, writeConv2dDirectBackwardWeightDesc } from '../src/kernels/wasm/conv2dDirectBackwardWeight.js';
import { packDepthwise3x3 } from '../src/kernels/wasm/depthwise3x3.js';
import { DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES, writeDepthwise3x3BackwardInputDesc } from '../src/kernels/wasm/depthwise3x3BackwardInput.js';
import { DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES, writeDepthwise3x3BackwardWeightDesc } from '../src/kernels/wasm/depthwise3x3BackwardWeight.js';
import { GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES, writeGlobalAvgPoolBackwardDesc } from '../src/kernels/wasm/globalAvgPoolBackward.js';
import { compileKernelsModule, instantiateKernels, type KernelExports, type KernelVariant, type WasmKernels } from '../src/kernels/wasm/module.js';
import { POINTWISE_DESC_BYTES, pointwiseBiasOffset, writePointwiseDesc } from '../src/kernels/wasm/pointwise.js';
import { POINTWISE_WEIGHT_GRAD_DESC_BYTES, packPointwiseTransposed, writePointwiseWeightGradDesc } from '../src/kernels/wasm/pointwiseWeightGrad.js';
import { SCALE_SHIFT_CLAMP_DESC_BYTES, writeScaleShiftClampDesc } from '../src/kernels/wasm/scaleShiftClamp.js';
import { enableRelaxedSimd } from '../src/node/wasm-features.js';
import { mobilenetV2Spec } from '../src/spec/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonIndex = args.indexOf('--json');
const jsonPath = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const SAMPLES = quick ? 5 : 11;
const SAMPLE_MS = quick ? 1 : 2;
const STAT: 'median' | 'min' = args.includes('--min') ? 'min' : 'median';

/** The kernel an op times ('pointwise' is the input gradient dY·Wᵀ through the forward kernel). */
type Kernel =
  | 'pointwiseWeightGrad' | 'pointwise' | 'depthwise3x3BackwardInput' | 'depthwise3x3BackwardWeight' | 'conv2dDirectBackwardWeight'
  | 'channelStats' | 'scaleShiftClamp' | 'bnBackwardReduce' | 'bnBackwardApply' | 'addInPlace' | 'globalAvgPoolBackward';

interface Op {
  readonly kernel: Kernel;
  readonly name: string;
  /** 2·MACs (0 for the memory-bound kernels). */
  readonly flop: number;
  /** Tensor bytes read and written once. */
  readonly bytes: number;
  /** Sets up buffers and descriptors; returns the descriptor offsets to run in order. */
  readonly setup: (arena: Arena) => number[];
}

function fill(arena: Arena, count: number, scale = 1): number {
  const at = arena.alloc(count);
  const view = arena.f32(at, count);
  for (let i = 0; i < count; i++) view[i] = Math.sin(i * 0.7311 + count) * scale;
  return at;
}

function desc(arena: Arena, bytes: number, write: (view: DataView, at: number) => void): number {
  const at = arena.allocBytes(bytes);
  write(arena.view(), at);
  return at;
}

const LINEAR = { clampMin: -Infinity, clampMax: Infinity };
const RELU6 = { clampMin: 0, clampMax: 6 };

/** 1×1 conv of `pixels` pixels (the whole batch): weight gradient, and the input gradient through pointwise with Wᵀ. */
function pointwiseOps(label: string, pixels: number, cin: number, cout: number, inputGradient: boolean): Op[] {
  const ops: Op[] = [{
    kernel: 'pointwiseWeightGrad', name: `${label}${cin}→${cout}`, flop: 2 * pixels * cin * cout, bytes: 4 * pixels * (cin + cout),
    setup: (arena) => {
      const x = fill(arena, pixels * cin);
      const gy = fill(arena, pixels * cout);
      const gw = arena.alloc(cin * cout);
      return [desc(arena, POINTWISE_WEIGHT_GRAD_DESC_BYTES, (view, at) => writePointwiseWeightGradDesc(view, at, {
        input: x, gradOutput: gy, gradWeight: gw, gradBias: 0, pixelStart: 0, pixelEnd: pixels, inChannels: cin, outChannels: cout,
        inChannelStart: 0, inChannelEnd: cin, inStride: cin, gradStride: cout, accumulate: false,
      }))];
    },
  }];
  if (inputGradient) {
    ops.push({
      kernel: 'pointwise', name: `${label}${cout}→${cin} (dX)`, flop: 2 * pixels * cin * cout, bytes: 4 * pixels * (cin + cout),
      setup: (arena) => {
        const weight = new Float32Array(cin * cout).map((_, i) => Math.cos(i) / Math.sqrt(cout));
        const packed = arena.put(packPointwiseTransposed(weight, cin, cout));
        const gy = fill(arena, pixels * cout);
        const gx = arena.alloc(pixels * cin);
        return [desc(arena, POINTWISE_DESC_BYTES, (view, at) => writePointwiseDesc(view, at, {
          input: gy, weights: packed, bias: packed + pointwiseBiasOffset(cout, cin) * 4, residual: 0, output: gx, pixelStart: 0, pixelEnd: pixels,
          inChannels: cout, outChannels: cin, channelStart: 0, channelEnd: cin, inStride: cout, outStride: cin, accumulate: false, ...LINEAR,
        }))];
      },
    });
  }
  return ops;
}

/** 3×3 depthwise conv over a batch: both gradients, one call per image. */
function depthwiseOps(batch: number, size: number, channels: number, stride: number): Op[] {
  const same = samePadding(size, 3, stride, 1);
  const out = same.out;
  const geometry = {
    inHeight: size, inWidth: size, channels, inStride: channels, outStride: channels, strideH: stride, strideW: stride, dilationH: 1, dilationW: 1,
    padTop: same.before, padLeft: same.before, outHeight: out, outWidth: out,
  };
  const inFloats = size * size * channels;
  const outFloats = out * out * channels;
  const name = `dw ${batch}×${size}²×${channels} s${stride}`;
  const flop = 2 * 9 * batch * out * out * channels;
  return [
    {
      kernel: 'depthwise3x3BackwardInput', name, flop, bytes: 4 * batch * (inFloats + outFloats),
      setup: (arena) => {
        const weights = arena.put(packDepthwise3x3(new Float32Array(9 * channels).map((_, i) => Math.cos(i) * 0.3), null, channels));
        const gy = fill(arena, batch * outFloats);
        const gx = arena.alloc(batch * inFloats);
        return Array.from({ length: batch }, (_, n) => desc(arena, DEPTHWISE3X3_BACKWARD_INPUT_DESC_BYTES, (view, at) => writeDepthwise3x3BackwardInputDesc(view, at, {
          ...geometry, gradOutput: gy + n * outFloats * 4, weights, gradInput: gx + n * inFloats * 4, rowStart: 0, rowEnd: size,
        })));
      },
    },
    {
      kernel: 'depthwise3x3BackwardWeight', name, flop, bytes: 4 * batch * (inFloats + outFloats),
      setup: (arena) => {
        const x = fill(arena, batch * inFloats);
        const gy = fill(arena, batch * outFloats);
        const gw = arena.alloc(9 * channels);
        return Array.from({ length: batch }, (_, n) => desc(arena, DEPTHWISE3X3_BACKWARD_WEIGHT_DESC_BYTES, (view, at) => writeDepthwise3x3BackwardWeightDesc(view, at, {
          ...geometry, input: x + n * inFloats * 4, gradOutput: gy + n * outFloats * 4, gradWeight: gw, gradBias: 0, rowStart: 0, rowEnd: out,
          channelStart: 0, channelEnd: channels, accumulate: n > 0,
        })));
      },
    },
  ];
}

function stemOps(batch: number, size: number, inChannels: number, outChannels: number, stride: number): Op[] {
  const same = samePadding(size, 3, stride, 1);
  const out = same.out;
  const inFloats = size * size * inChannels;
  const outFloats = out * out * outChannels;
  return [{
    kernel: 'conv2dDirectBackwardWeight', name: `stem ${batch}×${size}²×${inChannels}→${outChannels} s${stride}`, flop: 2 * 9 * inChannels * batch * out * out * outChannels,
    bytes: 4 * batch * (inFloats + outFloats),
    setup: (arena) => {
      const x = fill(arena, batch * inFloats);
      const gy = fill(arena, batch * outFloats);
      const gw = arena.alloc(9 * inChannels * outChannels);
      return Array.from({ length: batch }, (_, n) => desc(arena, CONV2D_DIRECT_BACKWARD_WEIGHT_DESC_BYTES, (view, at) => writeConv2dDirectBackwardWeightDesc(view, at, {
        input: x + n * inFloats * 4, gradOutput: gy + n * outFloats * 4, gradWeight: gw, gradBias: 0, inHeight: size, inWidth: size, inChannels, outChannels,
        kernelH: 3, kernelW: 3, strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, padTop: same.before, padLeft: same.before,
        outHeight: out, outWidth: out, rowStart: 0, rowEnd: out, channelStart: 0, channelEnd: outChannels, accumulate: n > 0,
      })));
    },
  }];
}

/** Training-mode batch norm (+ ReLU6 or linear) over `pixels` pixels: statistics, apply, and both backward passes. */
function batchNormOps(label: string, pixels: number, channels: number, relu6: boolean): Op[] {
  const floats = pixels * channels;
  const clamp = relu6 ? RELU6 : LINEAR;
  const name = `bn ${label}×${channels}${relu6 ? ' relu6' : ''}`;
  const stats = (arena: Arena) => {
    const mean = fill(arena, channels, 0.1);
    const invStd = arena.put(new Float32Array(channels).fill(1.3));
    const gamma = arena.put(new Float32Array(channels).fill(0.9));
    const sums = arena.alloc(4 * channels);
    arena.f32(sums, 4 * channels).fill(0.01);
    const scratch = arena.alloc(trainingScratchFloats(channels));
    return { mean, invStd, gamma, sums, scratch };
  };
  return [
    {
      kernel: 'channelStats', name, flop: 0, bytes: 4 * floats,
      setup: (arena) => {
        const x = fill(arena, floats);
        const shift = fill(arena, channels, 0.1);
        const sums = arena.alloc(4 * channels);
        const scratch = arena.alloc(trainingScratchFloats(channels));
        return [desc(arena, CHANNEL_STATS_DESC_BYTES, (view, at) => writeChannelStatsDesc(view, at, {
          input: x, shift, sum: sums, sumSquares: sums + 8 * channels, scratch, pixelStart: 0, pixelEnd: pixels, channels, stride: channels,
          channelStart: 0, channelEnd: channels, accumulate: false,
        }))];
      },
    },
    {
      kernel: 'scaleShiftClamp', name, flop: 0, bytes: 8 * floats,
      setup: (arena) => {
        const x = fill(arena, floats, 4);
        const out = arena.alloc(floats);
        const scale = fill(arena, channels);
        const shift = fill(arena, channels);
        return [desc(arena, SCALE_SHIFT_CLAMP_DESC_BYTES, (view, at) => writeScaleShiftClampDesc(view, at, {
          input: x, output: out, scale, shift, pixelStart: 0, pixelEnd: pixels, channels, stride: channels, ...clamp,
        }))];
      },
    },
    {
      kernel: 'bnBackwardReduce', name, flop: 0, bytes: 4 * floats * (relu6 ? 3 : 2),
      setup: (arena) => {
        const x = fill(arena, floats);
        const y = relu6 ? fill(arena, floats, 7) : 0;
        const gy = fill(arena, floats);
        const s = stats(arena);
        return [desc(arena, BN_BACKWARD_REDUCE_DESC_BYTES, (view, at) => writeBnBackwardReduceDesc(view, at, {
          input: x, activation: y, gradOutput: gy, mean: s.mean, invStd: s.invStd, sumDz: s.sums, sumDzXhat: s.sums + 8 * channels,
          scratch: s.scratch, pixelStart: 0, pixelEnd: pixels, channels, stride: channels, channelStart: 0, channelEnd: channels, accumulate: false, ...clamp,
        }))];
      },
    },
    {
      kernel: 'bnBackwardApply', name, flop: 0, bytes: 4 * floats * (relu6 ? 4 : 3),
      setup: (arena) => {
        const x = fill(arena, floats);
        const y = relu6 ? fill(arena, floats, 7) : 0;
        const gy = fill(arena, floats);
        const gx = arena.alloc(floats);
        const s = stats(arena);
        return [desc(arena, BN_BACKWARD_APPLY_DESC_BYTES, (view, at) => writeBnBackwardApplyDesc(view, at, {
          input: x, activation: y, gradOutput: gy, gradInput: gx, mean: s.mean, invStd: s.invStd, gamma: s.gamma, sumDz: s.sums,
          sumDzXhat: s.sums + 8 * channels, scratch: s.scratch, count: pixels, pixelStart: 0, pixelEnd: pixels, channels, stride: channels, ...clamp,
        }))];
      },
    },
  ];
}

function addOp(label: string, floats: number): Op {
  return {
    kernel: 'addInPlace', name: `add ${label}`, flop: 0, bytes: 12 * floats,
    setup: (arena) => {
      const a = fill(arena, floats);
      const b = fill(arena, floats);
      return [desc(arena, ADD_IN_PLACE_DESC_BYTES, (view, at) => writeAddInPlaceDesc(view, at, { target: a, source: b, start: 0, end: floats }))];
    },
  };
}

function poolOp(batch: number, size: number, channels: number): Op {
  const pixels = size * size;
  return {
    kernel: 'globalAvgPoolBackward', name: `avgpool ${batch}×${size}²×${channels}`, flop: 0, bytes: 4 * batch * (pixels + 1) * channels,
    setup: (arena) => {
      const gy = fill(arena, batch * channels);
      const gx = arena.alloc(batch * pixels * channels);
      return Array.from({ length: batch }, (_, n) => desc(arena, GLOBAL_AVG_POOL_BACKWARD_DESC_BYTES, (view, at) => writeGlobalAvgPoolBackwardDesc(view, at, {
        gradOutput: gy + n * channels * 4, gradInput: gx + n * pixels * channels * 4, pixels, channels, stride: channels, pixelStart: 0, pixelEnd: pixels,
      })));
    },
  };
}

interface Network {
  readonly key: string;
  readonly title: string;
  readonly ops: Op[];
  /** Shapes measured and shown but not part of the network (not in the totals). */
  readonly extras: Op[];
  /** Names of the ops shown one by one (the others only count in the totals). */
  readonly table: ReadonlySet<string>;
}

/** Every training kernel call of one MobileNetV2 step (backward + training BN), from the spec. */
function mobilenetV2Network(
  key: string, title: string, alpha: number, size: number, smallInput: boolean, batch: number, classes: number, shown: (op: Op) => boolean, extras: Op[] = [],
): Network {
  const spec = mobilenetV2Spec({ alpha, smallInput, classes });
  const ops: Op[] = [];
  let hw = Math.ceil(size / spec.stem.stride);
  ops.push(...stemOps(batch, size, 3, spec.stem.outChannels, spec.stem.stride));
  ops.push(...batchNormOps(`${batch}·${hw}²`, batch * hw * hw, spec.stem.outChannels, true));
  for (const block of spec.blocks) {
    const pixels = batch * hw * hw;
    if (block.expansion !== 1) {
      ops.push(...pointwiseOps(`pw ${batch}·${hw}²×`, pixels, block.inChannels, block.expandedChannels, true));
      ops.push(...batchNormOps(`${batch}·${hw}²`, pixels, block.expandedChannels, true));
    }
    ops.push(...depthwiseOps(batch, hw, block.expandedChannels, block.stride));
    const out = Math.ceil(hw / block.stride);
    ops.push(...batchNormOps(`${batch}·${out}²`, batch * out * out, block.expandedChannels, true));
    ops.push(...pointwiseOps(`pw ${batch}·${out}²×`, batch * out * out, block.expandedChannels, block.outChannels, true));
    ops.push(...batchNormOps(`${batch}·${out}²`, batch * out * out, block.outChannels, false));
    if (block.residual) ops.push(addOp(`${batch}·${out}²×${block.outChannels}`, batch * out * out * block.outChannels));
    hw = out;
  }
  ops.push(...pointwiseOps(`pw ${batch}·${hw}²×`, batch * hw * hw, spec.lastConv.inChannels, spec.lastConv.outChannels, true));
  ops.push(...batchNormOps(`${batch}·${hw}²`, batch * hw * hw, spec.lastConv.outChannels, true));
  ops.push(poolOp(batch, hw, spec.lastConv.outChannels));
  ops.push(...pointwiseOps(`dense ${batch}×`, batch, spec.head.features, classes, true));
  const table = new Set<string>();
  for (const op of ops) if (shown(op)) table.add(`${op.kernel} ${op.name}`);
  return { key, title, ops, extras, table };
}

/** Seconds for one run of `descs`: the median (or with --min the fastest) of SAMPLES samples. */
function timeRun(fn: (desc: number) => void, descs: readonly number[]): number {
  const run = () => {
    for (const d of descs) fn(d);
  };
  for (let i = 0; i < 2; i++) run();
  let t0 = performance.now();
  run();
  const once = Math.max(performance.now() - t0, 1e-3);
  const reps = Math.max(1, Math.ceil(SAMPLE_MS / once));
  for (let i = 0; i < reps; i++) run();
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    samples.push((performance.now() - t0) / reps);
  }
  samples.sort((a, b) => a - b);
  return (STAT === 'min' ? samples[0]! : samples[samples.length >> 1]!) / 1000;
}

function measure(k: WasmKernels, op: Op): number {
  const arena = new Arena(k.memory, 64);
  const descs = op.setup(arena);
  const fn = k.exports[op.kernel as keyof KernelExports] as (desc: number) => void;
  return timeRun(fn, descs);
}

const fmt = (v: number, digits = 1): string => v.toFixed(digits);

function main(): void {
  if (!enableRelaxedSimd()) throw new Error('relaxed SIMD is not available on this runtime');
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 65536, shared: true });
  const variants: KernelVariant[] = ['simd', 'relaxed'];
  const kernels = variants.map((v) => instantiateKernels(compileKernelsModule(v), memory));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`WebAssembly training kernels, one thread, ${cpu}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`${STAT} of ${SAMPLES} samples (each ≥ ${SAMPLE_MS} ms of repeated runs)`);

  const fashionShown = new Set([
    'pointwiseWeightGrad pw 64·28²×8→48', 'pointwiseWeightGrad pw 64·14²×96→16', 'pointwiseWeightGrad pw 64·7²×192→32', 'pointwiseWeightGrad pw 64·4²×672→112',
    'pointwise pw 64·28²×48→8 (dX)', 'pointwise pw 64·4²×112→672 (dX)',
    'pointwiseWeightGrad dense 64×1280→10',
  ]);
  const v224Shown = new Set([
    'pointwiseWeightGrad pw 8·112²×16→96', 'pointwiseWeightGrad pw 8·56²×144→24', 'pointwiseWeightGrad pw 8·28²×192→32', 'pointwiseWeightGrad pw 8·14²×576→96',
    'pointwiseWeightGrad pw 8·7²×960→160', 'pointwiseWeightGrad pw 8·7²×320→1280', 'pointwise pw 8·56²×24→144 (dX)', 'pointwiseWeightGrad dense 8×1280→1000',
  ]);
  const isShownDepthwise = (op: Op, names: readonly string[]) => (op.kernel === 'depthwise3x3BackwardInput' || op.kernel === 'depthwise3x3BackwardWeight') && names.includes(op.name);
  const isShownBn = (op: Op, names: readonly string[]) => op.name.startsWith('bn ') && names.includes(op.name);
  const networks: Network[] = [
    mobilenetV2Network('fashion', 'MobileNetV2 α=0.35, 28×28 small input (Fashion-MNIST), batch 64', 0.35, 28, true, 64, 10, (op) =>
      fashionShown.has(`${op.kernel} ${op.name}`) || op.kernel === 'conv2dDirectBackwardWeight' || op.kernel === 'globalAvgPoolBackward' ||
      isShownDepthwise(op, ['dw 64×28²×48 s1', 'dw 64×14²×96 s2', 'dw 64×4²×672 s1', 'dw 64×28²×16 s1']) ||
      isShownBn(op, ['bn 64·28²×48 relu6', 'bn 64·4²×112']) || (op.kernel === 'addInPlace' && op.name === 'add 64·28²×8'),
    // Shapes of the brief that the α = 0.35 network does not have (its 4² stage expands 56 → 336).
    [...pointwiseOps('pw 64·4²×', 64 * 16, 672, 112, false), ...depthwiseOps(64, 4, 672, 1)].map((op) => ({ ...op, name: `${op.name} (not in the network)` }))),
    mobilenetV2Network('224', 'MobileNetV2 1.0-224, batch 8', 1, 224, false, 8, 1000, (op) =>
      v224Shown.has(`${op.kernel} ${op.name}`) || op.kernel === 'conv2dDirectBackwardWeight' ||
      isShownDepthwise(op, ['dw 8×112²×32 s1', 'dw 8×112²×96 s2', 'dw 8×56²×144 s1', 'dw 8×14²×576 s1', 'dw 8×7²×960 s1']) ||
      isShownBn(op, ['bn 8·112²×96 relu6', 'bn 8·7²×160'])),
  ];

  const json: Record<string, unknown> = { date: new Date().toISOString(), cpu, node: process.version, stat: STAT, networks: {} };
  for (const network of networks) {
    if (only !== undefined && only !== network.key) continue;
    console.log(`\n## ${network.title}\n`);
    console.log('| kernel | layer | MFLOP | MB | simd GFLOP/s | relaxed GFLOP/s | relaxed ms | GB/s (relaxed) |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    const totals = kernels.map(() => new Map<Kernel, { seconds: number; flop: number; bytes: number; calls: number }>());
    const rows: Array<Record<string, unknown>> = [];
    const printed = new Set<string>();
    for (const op of [...network.ops, ...network.extras]) {
      const extra = network.extras.includes(op);
      const seconds = kernels.map((k) => measure(k, op));
      seconds.forEach((s, i) => {
        if (extra) return;
        const entry = totals[i]!.get(op.kernel) ?? { seconds: 0, flop: 0, bytes: 0, calls: 0 };
        entry.seconds += s;
        entry.flop += op.flop;
        entry.bytes += op.bytes;
        entry.calls++;
        totals[i]!.set(op.kernel, entry);
      });
      const key = `${op.kernel} ${op.name}`;
      if ((!extra && !network.table.has(key)) || printed.has(key)) continue;
      printed.add(key);
      const gflops = seconds.map((s) => (op.flop > 0 ? fmt(op.flop / s / 1e9) : ''));
      console.log(`| ${op.kernel} | ${op.name} | ${op.flop > 0 ? fmt(op.flop / 1e6) : ''} | ${fmt(op.bytes / 1e6)} | ${gflops[0]} | ${gflops[1]} | ` +
        `${fmt(seconds[1]! * 1e3, 2)} | ${fmt(op.bytes / seconds[1]! / 1e9)} |`);
      rows.push({ kernel: op.kernel, layer: op.name, mflop: op.flop / 1e6, mb: op.bytes / 1e6, simdSeconds: seconds[0], relaxedSeconds: seconds[1] });
    }
    console.log(`\nAll layers of one training step's backward pass and batch norms (${network.ops.length} timed ops), sum of the per-op ${STAT === 'min' ? 'fastest samples' : 'medians'}:\n`);
    console.log('| kernel | ops | MFLOP | MB | simd ms | relaxed ms | relaxed GFLOP/s | relaxed GB/s |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    const sum = [0, 0];
    const summary: Array<Record<string, unknown>> = [];
    for (const kernel of totals[1]!.keys()) {
      const [a, b] = [totals[0]!.get(kernel)!, totals[1]!.get(kernel)!];
      sum[0]! += a.seconds;
      sum[1]! += b.seconds;
      console.log(`| ${kernel} | ${b.calls} | ${b.flop > 0 ? fmt(b.flop / 1e6) : ''} | ${fmt(b.bytes / 1e6)} | ${fmt(a.seconds * 1e3, 2)} | ${fmt(b.seconds * 1e3, 2)} | ` +
        `${b.flop > 0 ? fmt(b.flop / b.seconds / 1e9) : ''} | ${fmt(b.bytes / b.seconds / 1e9)} |`);
      summary.push({ kernel, ops: b.calls, mflop: b.flop / 1e6, mb: b.bytes / 1e6, simdMs: a.seconds * 1e3, relaxedMs: b.seconds * 1e3 });
    }
    console.log(`| **total** | ${network.ops.length} | | | **${fmt(sum[0]! * 1e3, 1)}** | **${fmt(sum[1]! * 1e3, 1)}** | | |`);
    (json.networks as Record<string, unknown>)[network.key] = { title: network.title, layers: rows, totals: summary, simdMs: sum[0]! * 1e3, relaxedMs: sum[1]! * 1e3 };
  }
  if (jsonPath !== undefined) writeFileSync(jsonPath, JSON.stringify(json, null, 2));
}

main();
