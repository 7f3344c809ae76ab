/**
 * The fast engine: the WebAssembly SIMD kernels driven by a static plan.
 *
 * At creation the graph is BN-folded and fused (activation and residual into the convolutions),
 * and every weight is packed once into the kernels' memory. For each batch size a plan lays out
 * the activations in an arena with liveness-based reuse, writes every kernel descriptor, and splits
 * each layer among the threads (pixels or channel panels for 1×1 convolutions, rows for spatial
 * ones). A run then only copies the input in, executes the descriptor lists (every thread its own,
 * with a barrier between layers) and copies the outputs out.
 *
 * Memory-efficient mode (MobileNetV2 §5.1): an inverted residual block (expand 1×1 → depthwise
 * 3×3 → project 1×1, also the stem conv → depthwise → project of the first block) runs band by
 * band of output rows: the expanded tensor only ever exists as a few rows in a per-thread buffer
 * (the rows the next band still needs are moved to the front, never recomputed), and the
 * depthwise output as one band. Only block inputs and outputs are materialized.
 */
import { MobileNetError } from '../../errors.js';
import type { Graph } from '../../graph/build.js';
import type { TensorShape } from '../../graph/ops.js';
import * as ref from '../../kernels/ref/index.js';
import * as K from '../../kernels/wasm/index.js';
import { shapeSize } from '../../tensor.js';
import { nodeMacs } from '../../graph/cost.js';
import { conv2dDesc, depthwiseDesc } from '../descriptors.js';
import { planArena, type TensorLifetime } from '../arena.js';
import { foldBatchNorm } from '../fold.js';
import { fuseLayers, type FusedLayer } from '../fuse.js';
import type { Weights } from '../weights.js';
import { CONTROL, executePlan, Op, split, type StepPlan } from './execute.js';
import { MAX_THREADS, workerPoolFactory, type WorkerPool } from './pool.js';

const PAGE = 65536;
const MAX_PAGES = 65536;
/** Budget for one thread's band of expanded rows: about an L2 cache's worth. */
const BAND_BYTES = 192 * 1024;

const CLAMP: Record<string, [number, number]> = { linear: [-Infinity, Infinity], relu: [0, Infinity], relu6: [0, 6] };

export interface WasmEngineOptions {
  /** Threads including the caller (default 1). More than 1 needs a registered worker pool (mobilenet-ts/node). */
  threads?: number;
  /** Use relaxed SIMD (FMA) when available (default true). */
  relaxed?: boolean;
  /**
   * Run inverted residual blocks band by band (MobileNetV2 §5.1). 'auto' (default): for batches of
   * more than one image, where the bands' cache locality also makes it faster; false: never.
   */
  memoryEfficient?: boolean | 'auto';
}

interface Packed {
  weights: number;
  bias: number;
}

/** A band-by-band chain: [producer] → depthwise → projection. */
interface Chain {
  kind: 'chain';
  producer?: FusedLayer & { kind: 'pointwise' | 'conv' };
  dw: FusedLayer & { kind: 'depthwise' };
  project: FusedLayer & { kind: 'pointwise' };
  input: string;
  output: string;
}

type Step = { kind: 'layer'; layer: FusedLayer } | Chain;

/** One step's place in a profile: which layers it runs and their multiply-adds. */
export interface StepProfile {
  layers: string[];
  kind: string;
  macs: number;
  ms: number;
  /** 2·MACs / time. */
  gflops: number;
}

interface Plan {
  labels: Array<{ layers: string[]; kind: string; macs: number }>;
  batch: number;
  keepAll: boolean;
  steps: StepPlan[];
  refSteps: Map<number, () => void>;
  /** Byte offset of each materialized tensor. */
  offsets: Map<string, number>;
  arenaBytes: number;
  scratchBytes: number;
}

class Heap {
  constructor(
    readonly memory: WebAssembly.Memory,
    public top: number,
  ) {}

  alloc(bytes: number, align = 64): number {
    const at = Math.ceil(this.top / align) * align;
    this.top = at + bytes;
    this.reserve(this.top);
    return at;
  }

  reserve(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new MobileNetError('INVALID_ARGUMENT', `the fast engine needs ${Math.ceil(end / 2 ** 20)} MiB of memory, more than WebAssembly's 4 GiB; use a smaller batch`);
    }
    this.memory.grow(pages);
  }
}

export class WasmEngine {
  readonly graph: Graph;
  readonly threads: number;
  readonly variant: K.KernelVariant;
  readonly memoryEfficient: boolean | 'auto';
  private readonly kernels: K.WasmKernels;
  private readonly layers: FusedLayer[];
  private readonly tensorOf: Map<string, string>;
  private readonly shapes = new Map<string, TensorShape>();
  private readonly packed = new Map<string, Packed>();
  private readonly refWeights: Weights;
  private readonly heap: Heap;
  private readonly dynamicStart: number;
  private readonly control: Int32Array;
  private readonly controlOffset: number;
  private pool: WorkerPool | undefined;
  private plan: Plan | undefined;
  private released = false;

  /** Names of the unfolded graph → names after BN folding (a folded BN's value is its conv's). */
  private readonly folded = new Map<string, string>();

  private constructor(graph: Graph, kernels: K.WasmKernels, weights: Weights, options: Required<WasmEngineOptions>, original: Graph) {
    this.graph = graph;
    const kept = new Set([graph.input.name, ...graph.nodes.map((n) => n.name)]);
    for (const node of original.nodes) {
      let name = node.name;
      let current = node;
      while (!kept.has(name)) {
        name = current.inputs[0]!;
        current = original.nodes.find((n) => n.name === name) ?? current;
      }
      this.folded.set(node.name, name);
    }
    this.kernels = kernels;
    this.variant = kernels.variant;
    this.threads = options.threads;
    this.memoryEfficient = options.memoryEfficient;
    const fused = fuseLayers(graph);
    this.layers = fused.layers;
    this.tensorOf = fused.tensorOf;
    this.refWeights = weights;
    this.shapes.set(graph.input.name, graph.input.shape);
    for (const layer of this.layers) this.shapes.set(layer.output, layer.shape);
    this.heap = new Heap(kernels.memory, 64);
    this.controlOffset = this.heap.alloc(CONTROL.words * 4);
    this.control = new Int32Array(kernels.memory.buffer as SharedArrayBuffer, this.controlOffset, CONTROL.words);
    this.packWeights(weights);
    this.dynamicStart = this.heap.top;
  }

  /** Folds BN, fuses, packs the weights; starts threads − 1 workers when asked for. */
  static async create(graph: Graph, weights: Weights, options: WasmEngineOptions = {}): Promise<WasmEngine> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new MobileNetError('INVALID_ARGUMENT', `threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
    }
    const folded = foldBatchNorm(graph, weights);
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const variant = K.chooseVariant(options.relaxed ?? true);
    const module = K.compileKernelsModule(variant);
    const kernels = K.instantiateKernels(module, memory);
    const engine = new WasmEngine(folded.graph, kernels, folded.weights, {
      threads,
      relaxed: options.relaxed ?? true,
      memoryEfficient: options.memoryEfficient ?? 'auto',
    }, graph);
    if (threads > 1) {
      const factory = workerPoolFactory();
      if (!factory) {
        throw new MobileNetError('UNSUPPORTED', `threads: ${threads} needs worker threads: in Node call useNodeRuntime() from 'mobilenet-ts/node' first (loadModel does), or use threads: 1`);
      }
      engine.pool = await factory({ threads, module, memory, controlOffset: engine.controlOffset });
    }
    return engine;
  }

  private f32(): Float32Array {
    return new Float32Array(this.kernels.memory.buffer);
  }

  private put(data: Float32Array): number {
    const at = this.heap.alloc(data.length * 4);
    this.f32().set(data, at / 4);
    return at;
  }

  private packWeights(weights: Weights): void {
    const w = (name: string) => weights.get(name)?.data ?? null;
    for (const layer of this.layers) {
      switch (layer.kind) {
        case 'pointwise':
        case 'dense': {
          const a = layer.node.attrs;
          const cin = 'inChannels' in a ? a.inChannels : a.inFeatures;
          const cout = 'outChannels' in a ? a.outChannels : a.outFeatures;
          const at = this.put(K.packPointwise(w(`${layer.name}.weight`)!, w(`${layer.name}.bias`), cin, cout));
          this.packed.set(layer.name, { weights: at, bias: at + 4 * K.pointwiseBiasOffset(cin, cout) });
          break;
        }
        case 'depthwise': {
          const at = this.put(K.packDepthwise3x3(w(`${layer.name}.weight`)!, w(`${layer.name}.bias`), layer.node.attrs.channels));
          this.packed.set(layer.name, { weights: at, bias: 0 });
          break;
        }
        case 'conv': {
          const a = layer.node.attrs;
          const packed = K.packConv2dDirect(w(`${layer.name}.weight`)!, w(`${layer.name}.bias`), a.kernel[0], a.kernel[1], a.inChannels, a.outChannels);
          const at = this.put(packed);
          this.packed.set(layer.name, { weights: at, bias: at + 4 * K.conv2dDirectBiasOffset(a.kernel[0], a.kernel[1], a.inChannels, a.outChannels) });
          break;
        }
        default:
          break;
      }
    }
  }

  /** Group layers into steps; in memory-efficient mode, expand → dw → project become one chain. */
  private steps(keep: Set<string>, banded: boolean): Step[] {
    const readers = new Map<string, number>();
    for (const l of this.layers) {
      const inputs = l.kind === 'ref' ? l.inputs : l.kind === 'pointwise' && l.residual ? [l.input, l.residual] : [l.input];
      for (const i of inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
    }
    const internal = (name: string) => readers.get(name) === 1 && !keep.has(name);
    const steps: Step[] = [];
    for (let i = 0; i < this.layers.length; i++) {
      const a = this.layers[i]!;
      const b = this.layers[i + 1];
      const c = this.layers[i + 2];
      if (banded) {
        // [producer] → depthwise → projection, intermediates read by the next layer only.
        if ((a.kind === 'pointwise' || a.kind === 'conv') && b?.kind === 'depthwise' && c?.kind === 'pointwise' &&
          b.input === a.output && c.input === b.output && internal(a.output) && internal(b.output) && (a.kind === 'conv' || !a.residual)) {
          steps.push({ kind: 'chain', producer: a as Chain['producer'] & object, dw: b, project: c, input: a.input, output: c.output });
          i += 2;
          continue;
        }
        if (a.kind === 'depthwise' && b?.kind === 'pointwise' && b.input === a.output && internal(a.output)) {
          steps.push({ kind: 'chain', dw: a, project: b, input: a.input, output: b.output });
          i += 1;
          continue;
        }
      }
      steps.push({ kind: 'layer', layer: a });
    }
    return steps;
  }

  /** Bytes of activations (arena) plus band buffers for a batch: the peak the plan needs. */
  peakActivationBytes(batch = 1): number {
    const plan = this.planFor(batch, false);
    return plan.arenaBytes + plan.scratchBytes;
  }

  /** Every entry point plans first: a released engine's workers have exited, and waiting for them at a barrier would never return. */
  private planFor(batch: number, keepAll: boolean): Plan {
    if (this.released) throw new MobileNetError('INVALID_ARGUMENT', 'this session was released');
    if (this.plan && this.plan.batch === batch && this.plan.keepAll === keepAll) return this.plan;
    // Forgotten before the build: one that throws may already have written over the old plan's descriptors.
    this.plan = undefined;
    this.heap.top = this.dynamicStart;
    const plan = this.buildPlan(batch, keepAll);
    this.pool?.load(plan.steps);
    this.plan = plan;
    return plan;
  }

  private buildPlan(batch: number, keepAll: boolean): Plan {
    const g = this.graph;
    const t = (name: string) => this.tensorOf.get(name) ?? name;
    const keep = new Set<string>();
    if (g.outputs.logits) keep.add(t(g.outputs.logits));
    if (g.outputs.embedding) keep.add(t(g.outputs.embedding));
    if (keepAll) {
      keep.add(t(g.outputs.features));
      for (const tap of g.taps) keep.add(t(tap.node));
    }
    const steps = this.steps(keep, this.memoryEfficient === true || (this.memoryEfficient === 'auto' && batch > 1));
    const T = this.threads;

    // Liveness of materialized tensors.
    const first = new Map<string, number>([[g.input.name, -1]]);
    const last = new Map<string, number>([[g.input.name, -1]]);
    const inputsOf = (s: Step): string[] => {
      if (s.kind === 'chain') return s.project.residual ? [s.input, s.project.residual] : [s.input];
      const l = s.layer;
      if (l.kind === 'ref') return l.inputs;
      return l.kind === 'pointwise' && l.residual ? [l.input, l.residual] : [l.input];
    };
    steps.forEach((s, i) => {
      for (const name of inputsOf(s)) last.set(name, i);
      const out = s.kind === 'chain' ? s.output : s.layer.output;
      first.set(out, i);
      last.set(out, Math.max(last.get(out) ?? i, i));
    });
    for (const name of keep) last.set(name, steps.length);
    const lifetimes: TensorLifetime[] = [...first.keys()].map((name) => ({
      name,
      bytes: 4 * batch * shapeSize(this.shapes.get(name)!),
      first: first.get(name)!,
      last: last.get(name)!,
    }));
    const arena = planArena(lifetimes);
    const arenaBase = this.heap.alloc(arena.size);
    const offsets = new Map<string, number>();
    for (const [name, off] of arena.offsets) offsets.set(name, arenaBase + off);
    const at = (name: string, n = 0) => offsets.get(name)! + 4 * n * shapeSize(this.shapes.get(name)!);

    // Band buffers of the chains, one set per thread.
    let scratchBytes = 0;
    const scratch: Array<{ e: number; d: number }> = [];
    const bands = new Map<Chain, { rows: number; eRows: number }>();
    for (const s of steps) {
      if (s.kind !== 'chain') continue;
      const a = s.dw.node.attrs;
      const [hIn, wIn, hidden] = this.shapes.get(s.dw.input)! as [number, number, number];
      const [hOut, wOut] = s.dw.shape as [number, number];
      const rowE = wIn * hidden * 4;
      const span = 2 * a.dilation[0] + 1;
      const rows = Math.max(1, Math.min(hOut, Math.floor((BAND_BYTES / rowE - span) / a.stride[0]) + 1));
      const eRows = Math.min(hIn, (rows - 1) * a.stride[0] + span);
      bands.set(s, { rows, eRows });
      const bytes = (s.producer ? eRows * rowE : 0) + rows * wOut * hidden * 4;
      scratchBytes = Math.max(scratchBytes, bytes);
    }
    for (let i = 0; i < T && scratchBytes > 0; i++) {
      const base = this.heap.alloc(scratchBytes);
      scratch.push({ e: base, d: base });
    }

    // Descriptors.
    const view = () => new DataView(this.kernels.memory.buffer);
    const plans: StepPlan[] = [];
    const refSteps = new Map<number, () => void>();
    const desc = (bytes: number) => this.heap.alloc(bytes, 16);

    steps.forEach((s, stepIndex) => {
      const calls: number[][] = Array.from({ length: T }, () => []);
      if (s.kind === 'chain') {
        this.planChain(s, bands.get(s)!, scratch, batch, at, calls, view, desc);
      } else {
        const l = s.layer;
        switch (l.kind) {
          case 'pointwise':
          case 'dense': {
            const a = l.node.attrs;
            const cin = 'inChannels' in a ? a.inChannels : a.inFeatures;
            const cout = 'outChannels' in a ? a.outChannels : a.outFeatures;
            const pixels = l.kind === 'dense' ? batch : batch * shapeSize(l.shape.slice(0, 2));
            const [lo, hi] = l.kind === 'pointwise' ? CLAMP[l.activation]! : CLAMP.linear!;
            const p = this.packed.get(l.name)!;
            const residual = l.kind === 'pointwise' && l.residual ? at(l.residual) : 0;
            const byPixels = pixels >= T * 32;
            const parts = byPixels ? split(pixels, T, 8) : split(cout, T, K.POINTWISE_PANEL_WIDTH);
            parts.forEach(([s0, s1], th) => {
              if (s1 <= s0) return;
              const d = desc(K.POINTWISE_DESC_BYTES);
              K.writePointwiseDesc(view(), d, {
                input: at(l.input), weights: p.weights, bias: p.bias, residual, output: at(l.output),
                pixelStart: byPixels ? s0 : 0, pixelEnd: byPixels ? s1 : pixels, inChannels: cin, outChannels: cout,
                channelStart: byPixels ? 0 : s0, channelEnd: byPixels ? cout : s1, inStride: cin, outStride: cout,
                accumulate: false, clampMin: lo, clampMax: hi,
              });
              calls[th]!.push(Op.Pointwise, d);
            });
            break;
          }
          case 'depthwise': {
            const a = l.node.attrs;
            const [h, w, c] = this.shapes.get(l.input)! as [number, number, number];
            const [oh, ow] = l.shape as [number, number];
            const [lo, hi] = CLAMP[l.activation]!;
            for (let n = 0; n < batch; n++) {
              split(oh, T).forEach(([r0, r1], th) => {
                if (r1 <= r0) return;
                const d = desc(K.DEPTHWISE3X3_DESC_BYTES);
                K.writeDepthwise3x3Desc(view(), d, {
                  input: at(l.input, n), weights: this.packed.get(l.name)!.weights, output: at(l.output, n),
                  inHeight: h, inWidth: w, channels: c, inStride: c, outStride: c,
                  strideH: a.stride[0], strideW: a.stride[1], dilationH: a.dilation[0], dilationW: a.dilation[1],
                  padTop: a.padding.top, padLeft: a.padding.left, outHeight: oh, outWidth: ow,
                  rowStart: r0, rowEnd: r1, inputRowBase: 0, clampMin: lo, clampMax: hi,
                });
                calls[th]!.push(Op.Depthwise3x3, d);
              });
            }
            break;
          }
          case 'conv': {
            for (let n = 0; n < batch; n++) {
              split(l.shape[0]!, T).forEach(([r0, r1], th) => {
                if (r1 <= r0) return;
                calls[th]!.push(Op.Conv2dDirect, this.convDesc(l, at(l.input, n), at(l.output, n), r0, r1, view, desc));
              });
            }
            break;
          }
          case 'pool': {
            const [h, w, c] = this.shapes.get(l.input)! as [number, number, number];
            for (let n = 0; n < batch; n++) {
              const d = desc(K.GLOBAL_AVG_POOL_DESC_BYTES);
              K.writeGlobalAvgPoolDesc(view(), d, { input: at(l.input, n), output: at(l.output, n), pixels: h * w, channels: c, stride: c, channelStart: 0, channelEnd: c });
              calls[n % T]!.push(Op.GlobalAvgPool, d);
            }
            break;
          }
          case 'ref': {
            calls[0]!.push(Op.Ref, 0);
            refSteps.set(stepIndex, () => this.runRef(l, batch, at));
            break;
          }
        }
      }
      plans.push({ calls: calls.map((c) => Int32Array.from(c)) });
    });
    const labels = steps.map((s) => {
      const layers: FusedLayer[] = s.kind === 'chain' ? [...(s.producer ? [s.producer] : []), s.dw, s.project] : [s.layer];
      return {
        layers: layers.map((l) => l.name),
        kind: s.kind === 'chain' ? 'chain' : s.layer.kind,
        macs: batch * layers.reduce((sum, l) => sum + nodeMacs(l.node), 0),
      };
    });
    return { labels, batch, keepAll, steps: plans, refSteps, offsets, arenaBytes: arena.size, scratchBytes: scratchBytes * T };
  }

  private convDesc(
    l: FusedLayer & { kind: 'conv' },
    input: number,
    output: number,
    r0: number,
    r1: number,
    view: () => DataView,
    desc: (bytes: number) => number,
  ): number {
    const a = l.node.attrs;
    const [h, w] = this.shapes.get(l.input)! as [number, number, number];
    const [lo, hi] = CLAMP[l.activation]!;
    const p = this.packed.get(l.name)!;
    const d = desc(K.CONV2D_DIRECT_DESC_BYTES);
    K.writeConv2dDirectDesc(view(), d, {
      input, weights: p.weights, bias: p.bias, output,
      inHeight: h, inWidth: w, inChannels: a.inChannels, outChannels: a.outChannels,
      kernelH: a.kernel[0], kernelW: a.kernel[1], strideH: a.stride[0], strideW: a.stride[1],
      dilationH: a.dilation[0], dilationW: a.dilation[1], padTop: a.padding.top, padLeft: a.padding.left,
      outHeight: l.shape[0]!, outWidth: l.shape[1]!, rowStart: r0, rowEnd: r1, clampMin: lo, clampMax: hi,
    });
    return d;
  }

  /**
   * One chain, band by band, for every image: each thread owns a range of depthwise output rows and
   * its own band buffers. Pointers into a band are shifted so that absolute row indices land in it
   * (32-bit wrap-around arithmetic, as the kernels compute addresses).
   */
  private planChain(
    s: Chain,
    band: { rows: number; eRows: number },
    scratch: Array<{ e: number; d: number }>,
    batch: number,
    at: (name: string, n?: number) => number,
    calls: number[][],
    view: () => DataView,
    desc: (bytes: number) => number,
  ): void {
    const a = s.dw.node.attrs;
    const [hIn, wIn, hidden] = this.shapes.get(s.dw.input)! as [number, number, number];
    const [hOut, wOut] = s.dw.shape as [number, number];
    const cout = s.project.node.attrs.outChannels;
    const rowE = wIn * hidden * 4;
    const rowD = wOut * hidden * 4;
    const [dwLo, dwHi] = CLAMP[s.dw.activation]!;
    const pp = this.packed.get(s.project.name)!;
    const [pLo, pHi] = CLAMP[s.project.activation]!;
    const span = 2 * a.dilation[0] + 1;
    for (let n = 0; n < batch; n++) {
      split(hOut, this.threads).forEach(([R0, R1], th) => {
        if (R1 <= R0) return;
        const ebuf = scratch[th]!.e;
        const dbuf = s.producer ? ebuf + band.eRows * rowE : scratch[th]!.d;
        let have0 = 0;
        let have1 = 0;
        for (let r0 = R0; r0 < R1; r0 += band.rows) {
          const r1 = Math.min(R1, r0 + band.rows);
          const lo = Math.max(0, r0 * a.stride[0] - a.padding.top);
          const hi = Math.min(hIn, (r1 - 1) * a.stride[0] - a.padding.top + span);
          let dwInput = at(s.dw.input, n);
          let rowBase = 0;
          if (s.producer) {
            let start = lo;
            if (have1 > lo && have0 <= lo) {
              if (lo > have0) {
                const d = desc(12);
                const v = view();
                v.setInt32(d, ebuf + (lo - have0) * rowE, true);
                v.setInt32(d + 4, ebuf, true);
                v.setInt32(d + 8, (have1 - lo) * rowE, true);
                calls[th]!.push(Op.Copy, d);
              }
              start = have1;
            }
            have0 = lo;
            if (hi > start) {
              const p = s.producer;
              if (p.kind === 'pointwise') {
                const cin = p.node.attrs.inChannels;
                const pk = this.packed.get(p.name)!;
                const [lo2, hi2] = CLAMP[p.activation]!;
                const d = desc(K.POINTWISE_DESC_BYTES);
                K.writePointwiseDesc(view(), d, {
                  input: at(p.input, n) + start * wIn * cin * 4, weights: pk.weights, bias: pk.bias, residual: 0,
                  output: ebuf + (start - have0) * rowE, pixelStart: 0, pixelEnd: (hi - start) * wIn,
                  inChannels: cin, outChannels: hidden, channelStart: 0, channelEnd: hidden, inStride: cin, outStride: hidden,
                  accumulate: false, clampMin: lo2, clampMax: hi2,
                });
                calls[th]!.push(Op.Pointwise, d);
              } else {
                calls[th]!.push(Op.Conv2dDirect, this.convDesc(p, at(p.input, n), (ebuf - have0 * rowE) >>> 0, start, hi, view, desc));
              }
            }
            have1 = hi;
            dwInput = ebuf;
            rowBase = have0;
          }
          const dd = desc(K.DEPTHWISE3X3_DESC_BYTES);
          K.writeDepthwise3x3Desc(view(), dd, {
            input: dwInput, weights: this.packed.get(s.dw.name)!.weights, output: (dbuf - r0 * rowD) >>> 0,
            inHeight: hIn, inWidth: wIn, channels: hidden, inStride: hidden, outStride: hidden,
            strideH: a.stride[0], strideW: a.stride[1], dilationH: a.dilation[0], dilationW: a.dilation[1],
            padTop: a.padding.top, padLeft: a.padding.left, outHeight: hOut, outWidth: wOut,
            rowStart: r0, rowEnd: r1, inputRowBase: rowBase, clampMin: dwLo, clampMax: dwHi,
          });
          calls[th]!.push(Op.Depthwise3x3, dd);
          const residualChannels = s.project.residual ? this.shapes.get(s.project.residual)![2]! : 0;
          const pd = desc(K.POINTWISE_DESC_BYTES);
          K.writePointwiseDesc(view(), pd, {
            input: dbuf, weights: pp.weights, bias: pp.bias,
            residual: s.project.residual ? at(s.project.residual, n) + r0 * wOut * residualChannels * 4 : 0,
            output: at(s.output, n) + r0 * wOut * cout * 4, pixelStart: 0, pixelEnd: (r1 - r0) * wOut,
            inChannels: hidden, outChannels: cout, channelStart: 0, channelEnd: cout, inStride: hidden, outStride: cout,
            accumulate: false, clampMin: pLo, clampMax: pHi,
          });
          calls[th]!.push(Op.Pointwise, pd);
        }
      });
    }
  }

  /** A layer the fast kernels do not cover, through the reference kernels on views of the memory. */
  private runRef(l: FusedLayer & { kind: 'ref' }, batch: number, at: (name: string, n?: number) => number): void {
    const f = this.f32();
    const view = (name: string) => f.subarray(at(name) / 4, at(name) / 4 + batch * shapeSize(this.shapes.get(name)!));
    const node = l.node;
    const x = view(l.inputs[0]!);
    const out = view(l.output);
    const w = (k: string) => this.refWeights.get(`${node.name}.${k}`)?.data ?? null;
    const inShape = this.shapes.get(l.inputs[0]!)!;
    const [h = 1, wd = 1] = inShape;
    switch (node.op) {
      case 'conv2d': {
        ref.conv2d(x, w('weight')!, w('bias'), out, conv2dDesc(node, inShape, batch));
        break;
      }
      case 'depthwiseConv2d': {
        ref.depthwiseConv2d(x, w('weight')!, w('bias'), out, depthwiseDesc(node, inShape, batch));
        break;
      }
      case 'batchNorm':
        ref.batchNormInference(x, out, { mean: w('movingMean')!, variance: w('movingVariance')!, gamma: w('gamma')!, beta: w('beta')!, epsilon: node.attrs.epsilon }, { count: out.length / node.attrs.channels, channels: node.attrs.channels });
        break;
      case 'activation':
        ref.activation(x, out, node.attrs.fn, out.length);
        break;
      case 'add':
        ref.add(x, view(l.inputs[1]!), out, out.length);
        break;
      case 'globalPool':
        (node.attrs.kind === 'avg' ? ref.globalAvgPool : ref.globalMaxPool)(x, out, { batch, height: h, width: wd, channels: node.shape[0]! });
        break;
      default:
        throw new MobileNetError('INTERNAL', `the fast engine cannot run ${node.op} ${node.name}`);
    }
  }

  /**
   * Run a batch: (N, H, W, 3) float32 in; the requested tensors (by graph value name) out as copies.
   * `keepAll` keeps the feature map and taps (otherwise their memory is reused).
   */
  run(input: Float32Array, batch: number, wanted: readonly string[], keepAll: boolean): Map<string, Float32Array> {
    const plan = this.planFor(batch, keepAll);
    this.execute(plan, input);
    const out = new Map<string, Float32Array>();
    const g = this.f32();
    for (const name of wanted) {
      const unfolded = this.folded.get(name) ?? name;
      const tensor = this.tensorOf.get(unfolded) ?? unfolded;
      const offset = plan.offsets.get(tensor);
      if (offset === undefined) throw new MobileNetError('INTERNAL', `tensor ${name} is not kept by the plan`);
      const length = batch * shapeSize(this.shapes.get(tensor)!);
      out.set(name, g.slice(offset / 4, offset / 4 + length));
    }
    return out;
  }

  /** Time every step of one run (thread 0's wall time per step, barriers included). */
  profile(input: Float32Array, batch: number): StepProfile[] {
    const plan = this.planFor(batch, false);
    const times = new Array<number>(plan.steps.length).fill(0);
    this.execute(plan, input, (s, ms) => (times[s] = ms));
    return plan.labels.map((l, i) => ({ ...l, ms: times[i]!, gflops: (2 * l.macs) / (times[i]! * 1e6) }));
  }

  /**
   * Copy the input in and run the plan on every thread. A failure on any thread becomes one
   * MobileNetError after all threads have finished the run, so the next run starts clean.
   */
  private execute(plan: Plan, input: Float32Array, onStep?: (step: number, ms: number) => void): void {
    this.f32().set(input, plan.offsets.get(this.graph.input.name)! / 4);
    this.pool?.start();
    let failure: unknown;
    try {
      executePlan(this.kernels.exports, this.kernels.memory, this.control, plan.steps, 0, this.threads, {
        runRef: (s) => plan.refSteps.get(s)?.(),
        onStep,
      });
    } catch (error) {
      failure = error;
    }
    // Read even when thread 0 failed, so that no worker's report is left for the next run.
    const workerError = this.pool?.takeError();
    if (failure instanceof MobileNetError) throw failure;
    if (failure !== undefined) throw new MobileNetError('INTERNAL', `the fast engine failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    if (workerError) throw new MobileNetError('INTERNAL', `the fast engine failed: ${workerError}`);
  }

  async release(): Promise<void> {
    this.released = true;
    await this.pool?.close();
  }
}
