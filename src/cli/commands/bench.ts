/** mobilenet bench: latency of one model on this machine. */
import type { Command } from 'commander';
import { buildGraph, createSpec, InferenceSession, initWeights, type Backend } from '../../index.js';
import { loadModel, useNodeRuntime } from '../../node/index.js';
import { bytes, textTable } from '../format.js';
import { modelOptionsFromFlags, parseChoice, parseInteger, type RawModelFlags } from '../options.js';
import { existsSync } from 'node:fs';

interface BenchFlags extends RawModelFlags {
  threads?: string;
  batch: string;
  iters: string;
  warmup: string;
  backend: string;
  memoryEfficient?: boolean;
  profile?: boolean;
  json?: boolean;
}

/** One core's WebAssembly SIMD peak, measured on the reference machine (the 2-vCPU VM of docs/results): GFLOP/s. */
const PEAK_GFLOPS: Record<string, number> = { relaxed: 55, simd: 44 };

export interface BenchResult {
  model: string;
  backend: string;
  simd?: string;
  threads: number;
  batch: number;
  iterations: number;
  medianMs: number;
  minMs: number;
  imagesPerSecond: number;
  peakActivationBytes: number;
  memoryEfficient: boolean;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure inference latency: median and min after warm-up, images/s, activation memory')
    .argument('<model>', 'a model name (random weights) or a weights file')
    .option('--threads <n>', 'wasm: threads (default: one per core)')
    .option('--batch <b>', 'images per run', '1')
    .option('--iters <k>', 'timed runs', '30')
    .option('--warmup <k>', 'untimed runs first', '5')
    .option('--backend <name>', 'wasm | ref', 'wasm')
    .option('--memory-efficient', 'MobileNetV2 §5.1: run inverted residual blocks band by band (default only for batch > 1)')
    .option('--alpha <A>', 'width multiplier')
    .option('--resolution <R>', 'input size: an integer ≥ 32, or HxW')
    .option('--classes <N>', 'classifier outputs')
    .option('--convention <name>', 'torchvision | keras | slim')
    .option('--profile', 'wasm: time every layer (the median of 5 profiled runs after the timed ones): ms, GFLOP/s, share of the total')
    .option('--json', 'print one JSON object')
    .action(async (model: string, flags: BenchFlags) => {
      const backend = parseChoice('--backend', flags.backend, ['wasm', 'ref'] as const) as Backend;
      const batch = parseInteger('--batch', flags.batch, 1);
      const iters = parseInteger('--iters', flags.iters, 1);
      const warmup = parseInteger('--warmup', flags.warmup, 0);
      useNodeRuntime();
      // Without --threads the session's default: one per core, within the engine's limit.
      const threads = flags.threads === undefined ? {} : { threads: parseInteger('--threads', flags.threads, 1) };
      const engine = { backend, ...threads, memoryEfficient: flags.memoryEfficient ? true : ('auto' as const) };
      const options = modelOptionsFromFlags(flags);
      let session: InferenceSession;
      let name: string;
      if (existsSync(model)) {
        const loaded = await loadModel(model, { options, ...engine });
        session = loaded.session;
        name = loaded.graph.name;
      } else {
        const graph = buildGraph(createSpec(model, options));
        session = await InferenceSession.create(graph, initWeights(graph, { seed: 0, randomBatchNorm: true }), engine);
        name = graph.name;
      }
      const [h, w, c] = session.inputShape as [number, number, number];
      const input = new Float32Array(batch * h * w * c);
      for (let i = 0; i < input.length; i++) input[i] = Math.sin(i * 0.7);
      for (let i = 0; i < warmup; i++) session.run(input);
      const times: number[] = [];
      for (let i = 0; i < iters; i++) {
        const t0 = performance.now();
        session.run(input);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const medianMs = times[Math.floor(times.length / 2)]!;
      const result: BenchResult = {
        model: name,
        backend,
        threads: session.threads,
        batch,
        iterations: iters,
        medianMs,
        minMs: times[0]!,
        imagesPerSecond: (1000 * batch) / medianMs,
        peakActivationBytes: session.peakActivationBytes(batch),
        memoryEfficient: engine.memoryEfficient === true || batch > 1,
      };
      if (session.simd) result.simd = session.simd;
      let profile: ReturnType<InferenceSession['profile']> | undefined;
      if (flags.profile) {
        // The median of 5 profiled runs per step.
        const runs = Array.from({ length: 5 }, () => session.profile(input));
        profile = runs[0]!.map((step, i) => {
          const ms = runs.map((r) => r[i]!.ms).sort((a, b) => a - b)[2]!;
          return { ...step, ms, gflops: (2 * step.macs) / (ms * 1e6) };
        });
      }
      await session.release();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(profile ? { ...result, profile } : result)}\n`);
        return;
      }
      const rows = [
        ['model', name],
        ['engine', `${backend}${session.simd ? ` (${session.simd} SIMD)` : ''}, ${result.threads} thread${result.threads > 1 ? 's' : ''}${result.memoryEfficient ? ', memory-efficient' : ''}`],
        ['batch', String(batch)],
        ['median', `${medianMs.toFixed(2)} ms`],
        ['min', `${result.minMs.toFixed(2)} ms`],
        ['throughput', `${result.imagesPerSecond.toFixed(1)} images/s`],
        ['activation memory', bytes(result.peakActivationBytes)],
        ['runs', `${iters} timed after ${warmup} warm-up`],
      ];
      process.stdout.write(`${textTable([{ header: '' }, { header: '' }], rows).split('\n').slice(2).join('\n')}\n`);
      if (profile) {
        const total = profile.reduce((sum, p) => sum + p.ms, 0);
        const peak = PEAK_GFLOPS[session.simd ?? 'simd']! * result.threads;
        const table = textTable(
          [{ header: 'step' }, { header: 'kind' }, { header: 'MMACs', align: 'right' }, { header: 'ms', align: 'right' }, { header: '% time', align: 'right' }, { header: 'GFLOP/s', align: 'right' }, { header: '% peak', align: 'right' }],
          profile.map((p) => [p.layers.join(' + '), p.kind, (p.macs / 1e6).toFixed(1), p.ms.toFixed(3), ((100 * p.ms) / total).toFixed(1), p.gflops.toFixed(1), p.macs ? ((100 * p.gflops) / peak).toFixed(0) : '']),
        );
        const macs = profile.reduce((sum, p) => sum + p.macs, 0);
        process.stdout.write(`\n${table}\n\ntotal ${total.toFixed(2)} ms, ${((2 * macs) / (total * 1e6)).toFixed(1)} GFLOP/s = ${((200 * macs) / (total * 1e6) / peak).toFixed(0)}% of ${peak} GFLOP/s (${result.threads} × the measured ${session.simd} WASM SIMD peak of one core)\n`);
      }
    });
}
