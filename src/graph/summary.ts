/**
 * A model's summary as one plain object: what `mobilenet summary --json` prints and what the API
 * returns. Built from spec → graph → cost; nothing here formats text.
 */
import { createSpec } from '../spec/registry.js';
import type { ModelOptions, ModelSpec } from '../spec/types.js';
import { buildGraph, type FeatureTap, type Graph } from './build.js';
import { graphCost, LAYER_TYPE_LABELS, type LayerType, type ParamCounts } from './cost.js';

export interface SummaryLayer {
  name: string;
  op: string;
  description: string;
  type: LayerType;
  inputShape: number[];
  outputShape: number[];
  params: ParamCounts;
  macs: number;
}

export interface ModelSummary {
  model: string;
  config: Record<string, unknown>;
  totals: {
    macs: number;
    params: ParamCounts;
    /** fp32 bytes of the largest tensor that must be materialized (batch 1). */
    largestTensorBytes: number;
    /** fp32 bytes alive at the peak of a plain layer-by-layer schedule (batch 1). */
    peakActivationBytes: number;
    memory: {
      largestTensorBytes: { fp32: number; fp16: number };
      peakActivationBytes: { fp32: number; fp16: number };
    };
  };
  byType: Record<LayerType, { label: string; macs: number; params: ParamCounts; macsPercent: number; weightsPercent: number }>;
  taps: FeatureTap[];
  layers: SummaryLayer[];
}

/** The scalar options of a spec (its tables are left out: the layers show them). */
export function specConfig(spec: ModelSpec): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (typeof value !== 'object' || value === null) config[key] = value;
  }
  return config;
}

export function summarizeGraph(graph: Graph): ModelSummary {
  const cost = graphCost(graph);
  const byType = {} as ModelSummary['byType'];
  for (const [type, share] of Object.entries(cost.byType) as Array<[LayerType, (typeof cost.byType)[LayerType]]>) {
    byType[type] = { label: LAYER_TYPE_LABELS[type], ...share };
  }
  return {
    model: graph.name,
    config: graph.spec ? specConfig(graph.spec) : {},
    totals: {
      macs: cost.totals.macs,
      params: cost.totals.params,
      largestTensorBytes: cost.memory.largestTensorBytes.fp32,
      peakActivationBytes: cost.memory.peakActivationBytes.fp32,
      memory: { largestTensorBytes: cost.memory.largestTensorBytes, peakActivationBytes: cost.memory.peakActivationBytes },
    },
    byType,
    taps: graph.taps,
    layers: cost.layers.map((l) => ({
      name: l.name,
      op: l.op,
      description: l.description,
      type: l.type,
      inputShape: [...l.inputShape],
      outputShape: [...l.outputShape],
      params: l.params,
      macs: l.macs,
    })),
  };
}

/** Summary of a named model (`mobilenet_v2`, `mobilenet_v1_0.75_160`, …) with options. */
export function summarize(model: string, options: ModelOptions = {}): ModelSummary {
  return summarizeGraph(buildGraph(createSpec(model, options)));
}
