/**
 * The width/resolution trade-off (MobileNetV1 §4.2, Tables 6–7, Figures 4–5) on a small dataset: a
 * grid of width multipliers α and input resolutions, each trained with the same short budget, with
 * accuracy, multiply-adds, parameters and measured latency per model. This module holds the grid,
 * the cost side and the figures; the training loop that fills in accuracy and latency needs data on
 * disk and lives in node/tradeoff.ts.
 */
import { MobileNetError } from '../errors.js';
import { buildGraph } from '../graph/build.js';
import { graphCost } from '../graph/cost.js';
import { createSpec } from '../spec/registry.js';
import type { Arch, ModelOptions } from '../spec/types.js';
import { scatterChart, type ScatterSeries } from '../plot/index.js';

export interface TradeoffPoint {
  alpha: number;
  resolution: number;
}

export interface TradeoffRow extends TradeoffPoint {
  /** Multiply-adds of one forward pass (cost model). */
  macs: number;
  /** Trainable weights (cost model). */
  params: number;
  /** Top-1 test accuracy after the budget. */
  accuracy: number;
  /** Median single-image latency (ms) on the fast engine, one thread. */
  latencyMs: number;
  /** Wall time of this model's training run (s); absent when the run was read back from disk. */
  trainSeconds?: number;
}

/** Every (α, resolution) pair, α-major, both in the order given (duplicates refused). */
export function tradeoffGrid(alphas: readonly number[], resolutions: readonly number[]): TradeoffPoint[] {
  const unique = (xs: readonly number[], what: string) => {
    if (xs.length === 0) throw new MobileNetError('INVALID_ARGUMENT', `tradeoff: no ${what} given`);
    if (new Set(xs).size !== xs.length) throw new MobileNetError('INVALID_ARGUMENT', `tradeoff: ${what} repeat a value: ${xs.join(', ')}`);
  };
  unique(alphas, 'width multipliers');
  unique(resolutions, 'resolutions');
  return alphas.flatMap((alpha) => resolutions.map((resolution) => ({ alpha, resolution })));
}

/** The model options of one grid point (small-input variant: the dataset's images are tiny). */
export function tradeoffModelOptions(point: TradeoffPoint, classes: number): ModelOptions {
  return { alpha: point.alpha, resolution: point.resolution, smallInput: true, classes };
}

/** Multiply-adds and weights of one grid point, from the cost model. */
export function tradeoffCost(arch: Arch, point: TradeoffPoint, classes: number): { macs: number; params: number } {
  const cost = graphCost(buildGraph(createSpec(arch, tradeoffModelOptions(point, classes))));
  return { macs: cost.totals.macs, params: cost.totals.params.weights };
}

/** A folder name for one grid point's run: alpha-0.5_res-24. */
export function tradeoffRunName(point: TradeoffPoint): string {
  return `alpha-${point.alpha}_res-${point.resolution}`;
}

/** One series per α, its points (labelled with the resolution) joined in order of x. */
function series(rows: readonly TradeoffRow[], x: (r: TradeoffRow) => number, label: (r: TradeoffRow) => string): ScatterSeries[] {
  const alphas = [...new Set(rows.map((r) => r.alpha))];
  return alphas.map((alpha) => ({
    name: `α = ${alpha}`,
    connect: true,
    points: rows
      .filter((r) => r.alpha === alpha)
      .sort((a, b) => x(a) - x(b))
      .map((r) => ({ x: x(r), y: 100 * r.accuracy, label: label(r) })),
  }));
}

/** Accuracy against multiply-adds (log scale), one line per α through its resolutions (V1 Fig. 4). */
export function tradeoffMacsChart(rows: readonly TradeoffRow[], title: string): string {
  return scatterChart({
    title,
    xLabel: 'multiply-adds per image (log scale)',
    xUnit: 'M',
    yLabel: 'top-1 test accuracy',
    yUnit: '%',
    logX: true,
    series: series(rows, (r) => r.macs / 1e6, (r) => String(r.resolution)),
  });
}

/** Accuracy against measured latency (log scale), one line per α. */
export function tradeoffLatencyChart(rows: readonly TradeoffRow[], title: string): string {
  return scatterChart({
    title,
    xLabel: 'latency per image, 1 thread (log scale)',
    xUnit: 'ms',
    yLabel: 'top-1 test accuracy',
    yUnit: '%',
    logX: true,
    series: series(rows, (r) => r.latencyMs, (r) => String(r.resolution)),
  });
}

/**
 * The points no other point beats on both cost and accuracy (fewer or equal multiply-adds and higher
 * accuracy), cheapest first: the models worth choosing.
 */
export function paretoFront(rows: readonly TradeoffRow[]): TradeoffRow[] {
  const sorted = [...rows].sort((a, b) => a.macs - b.macs || b.accuracy - a.accuracy);
  const front: TradeoffRow[] = [];
  for (const r of sorted) if (front.length === 0 || r.accuracy > front.at(-1)!.accuracy) front.push(r);
  return front;
}
