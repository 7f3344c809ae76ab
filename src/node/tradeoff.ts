/**
 * `mobilenet experiment tradeoff` for Node: trains every (α, resolution) point of the grid with the
 * same short budget (runTraining, one folder per point, so an interrupted sweep resumes where it
 * stopped and finished points are read back), then measures every trained model's latency (after
 * all training, on a quiet machine) and writes the table (tradeoff.json) and the two figures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MobileNetError } from '../errors.js';
import { shapeSize } from '../tensor.js';
import type { Arch } from '../spec/types.js';
import type { TrainConfig } from '../train/trainer.js';
import {
  paretoFront,
  tradeoffCost,
  tradeoffGrid,
  tradeoffLatencyChart,
  tradeoffMacsChart,
  tradeoffModelOptions,
  tradeoffRunName,
  type TradeoffPoint,
  type TradeoffRow,
} from '../experiments/tradeoff.js';
import { loadModel } from './model.js';
import { makeOutputFolder, writeFileAtomic } from './fs.js';
import { writePlot } from './plot.js';
import { recalibrateRun, runTraining, type EpochRecord } from './train.js';

export interface TradeoffOptions {
  arch: Arch;
  alphas: number[];
  resolutions: number[];
  /** 'fashion-mnist' or 'sample'. */
  dataset: string;
  dataDir?: string;
  /** The budget: this many training images (a seeded subset) for config.epochs epochs. */
  trainImages: number;
  config: TrainConfig;
  augment: { cropPadding: number; horizontalFlip: boolean; randomErasing?: number };
  /** Recompute each model's BN statistics over this many training images after training (0 = off). */
  preciseBatchNorm?: number;
  /** Timed single-image runs per model (median), after 5 warm-ups. */
  latencyIterations: number;
  out: string;
  threads?: number;
  log?: (line: string) => void;
}

export interface TradeoffResult {
  arch: Arch;
  dataset: string;
  trainImages: number;
  config: TrainConfig;
  preciseBatchNorm: number;
  rows: TradeoffRow[];
  /** The rows no other row beats on both multiply-adds and accuracy, cheapest first. */
  pareto: TradeoffPoint[];
  /** Absent when the sweep was interrupted (Ctrl-C): then rows holds the points finished so far. */
  figures?: { macs: string; latency: string };
  interrupted: boolean;
}

const CLASSES = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A run folder's final evaluation (runTraining or recalibrateRun wrote it), if it has one. */
function readEvaluation(dir: string): { accuracy: number; preciseBatchNormImages?: number } | undefined {
  const path = join(dir, 'evaluation.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { accuracy: number; preciseBatchNormImages?: number }) : undefined;
}

/** Median ms of one image through the fast engine on one thread. */
async function measureLatency(modelPath: string, iterations: number): Promise<number> {
  const model = await loadModel(modelPath, { threads: 1 });
  try {
    const per = shapeSize(model.inputShape);
    const x = new Float32Array(per).fill(0.25);
    for (let i = 0; i < 5; i++) model.session.run(x);
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      model.session.run(x);
      times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await model.release();
  }
}

export async function runTradeoff(o: TradeoffOptions): Promise<TradeoffResult> {
  const log = o.log ?? (() => undefined);
  if (o.dataset !== 'fashion-mnist' && o.dataset !== 'sample') {
    throw new MobileNetError('INVALID_ARGUMENT', `tradeoff: --dataset must be fashion-mnist or sample, got '${o.dataset}'`);
  }
  const grid = tradeoffGrid(o.alphas, o.resolutions);
  makeOutputFolder(o.out);
  const preciseBatchNorm = o.preciseBatchNorm ?? 0;
  const summary = { arch: o.arch, dataset: o.dataset, trainImages: o.trainImages, config: o.config, preciseBatchNorm };
  const rows: TradeoffRow[] = [];
  for (const [i, point] of grid.entries()) {
    const dir = join(o.out, 'runs', tradeoffRunName(point));
    const modelPath = join(dir, 'model.safetensors');
    const cost = tradeoffCost(o.arch, point, CLASSES);
    let trainSeconds: number | undefined;
    if (!existsSync(modelPath)) {
      log(`[${i + 1}/${grid.length}] α = ${point.alpha}, ${point.resolution}×${point.resolution}: training (${(cost.macs / 1e6).toFixed(1)} M multiply-adds)`);
      const started = performance.now();
      const result = await runTraining({
        arch: o.arch,
        model: tradeoffModelOptions(point, CLASSES),
        dataset: o.dataset,
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        config: o.config,
        out: dir,
        resume: true,
        augment: o.augment,
        trainImages: o.trainImages,
        preciseBatchNorm,
        log: (line) => {
          if (line.startsWith('epoch') && !line.includes('batch')) log(`    ${line}`);
        },
        ...(o.threads === undefined ? {} : { threads: o.threads }),
      });
      if (result.interrupted) {
        log(`interrupted during ${dir}: its checkpoint is saved; run the same command again to continue`);
        return { ...summary, rows, pareto: [], interrupted: true };
      }
      trainSeconds = (performance.now() - started) / 1000;
    } else {
      log(`[${i + 1}/${grid.length}] α = ${point.alpha}, ${point.resolution}×${point.resolution}: already trained (${dir})`);
      if (preciseBatchNorm > 0 && !(readEvaluation(dir)?.preciseBatchNormImages)) {
        // Trained without precise BN (an older sweep): recompute its statistics now.
        const e = await recalibrateRun(dir, { dataset: o.dataset, ...(o.dataDir ? { dataDir: o.dataDir } : {}), trainImages: o.trainImages, config: o.config, augment: o.augment, images: preciseBatchNorm });
        log(`    precise BN: ${(100 * e.accuracy).toFixed(2)}%`);
      }
    }
    const history = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as EpochRecord);
    const last = history.at(-1);
    if (!last || last.epoch + 1 !== o.config.epochs) {
      throw new MobileNetError('INVALID_ARGUMENT', `${dir} holds a run of ${history.length} epochs, this sweep asks for ${o.config.epochs}: use another --out`);
    }
    // The final evaluation (after precise BN when asked) is evaluation.json; the last epoch's is the fallback.
    const accuracy = readEvaluation(dir)?.accuracy ?? last.testAccuracy;
    const row: TradeoffRow = { ...point, ...cost, accuracy, latencyMs: 0, ...(trainSeconds === undefined ? {} : { trainSeconds }) };
    rows.push(row);
    log(`    accuracy ${(100 * row.accuracy).toFixed(2)}%`);
  }
  // Latency last, once no training shares the machine.
  for (const row of rows) {
    row.latencyMs = await measureLatency(join(o.out, 'runs', tradeoffRunName(row), 'model.safetensors'), o.latencyIterations);
    log(`α = ${row.alpha}, ${row.resolution}×${row.resolution}: ${row.latencyMs.toFixed(2)} ms per image`);
  }
  const name = o.arch === 'mobilenet_v1' ? 'MobileNetV1' : 'MobileNetV2';
  const budget = `${o.trainImages.toLocaleString('en-US')} images × ${o.config.epochs} epochs`;
  const figures = { macs: join(o.out, 'tradeoff.png'), latency: join(o.out, 'tradeoff-latency.png') };
  await writePlot(figures.macs, tradeoffMacsChart(rows, `${name} on ${o.dataset}, ${budget}: accuracy vs multiply-adds (labels: resolution)`));
  await writePlot(figures.latency, tradeoffLatencyChart(rows, `${name} on ${o.dataset}, ${budget}: accuracy vs latency (labels: resolution)`));
  const result: TradeoffResult = {
    ...summary,
    rows,
    pareto: paretoFront(rows).map((r) => ({ alpha: r.alpha, resolution: r.resolution })),
    figures,
    interrupted: false,
  };
  writeFileAtomic(join(o.out, 'tradeoff.json'), `${JSON.stringify(result, null, 1)}\n`);
  return result;
}
