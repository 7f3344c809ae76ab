/**
 * MobileNetV2 Table 3: the largest tensor that must be materialized at each spatial resolution,
 * MobileNetV1 vs MobileNetV2, with 16-bit activations. In V1 every layer's output is materialized;
 * in V2 with the memory-efficient inverted residual (§5.1) only the bottleneck tensors (block inputs
 * and outputs) are, the expanded ones never are. The runtime's measured peaks sit next to it.
 */
import { buildGraph } from '../graph/build.js';
import { createSpec } from '../spec/registry.js';
import { initWeights } from '../runtime/weights.js';
import { InferenceSession } from '../runtime/session.js';

export interface MemoryRow {
  size: string;
  v1Channels: number;
  v1Kb: number;
  v2Channels: number;
  v2Kb: number;
}

export interface MemoryTable {
  resolution: number;
  rows: MemoryRow[];
  v1MaxKb: number;
  v2MaxKb: number;
  /** What the fast engine allocates for V2 (arena + band buffers), batch 1, fp32. */
  measured: { plainBytes: number; memoryEfficientBytes: number };
}

export async function memoryTable(resolution = 224): Promise<MemoryTable> {
  const v1 = buildGraph(createSpec('mobilenet_v1', { resolution }));
  const v2 = buildGraph(createSpec('mobilenet_v2', { resolution }));
  const levels = new Map<string, { v1: number; v2: number }>();
  const key = (s: readonly number[]) => `${s[0]}×${s[1]}`;
  for (const node of v1.nodes) {
    if (node.shape.length !== 3) continue;
    const l = levels.get(key(node.shape)) ?? { v1: 0, v2: 0 };
    l.v1 = Math.max(l.v1, node.shape[2]!);
    levels.set(key(node.shape), l);
  }
  // V2: the bottlenecks are the block outputs (and the last 1×1 conv's output feeding the pool).
  const spec = v2.spec!;
  if (spec.arch === 'mobilenet_v2') {
    for (const tap of v2.nodes.filter((n) => /^blocks\.\d+\.(add|project\.bn)$/.test(n.name) || n.name === 'head.act')) {
      const l = levels.get(key(tap.shape)) ?? { v1: 0, v2: 0 };
      l.v2 = Math.max(l.v2, tap.shape[2]!);
      levels.set(key(tap.shape), l);
    }
  }
  const kb = (size: string, channels: number) => {
    const [h, w] = size.split('×').map(Number) as [number, number];
    return (h * w * channels * 2) / 1000;
  };
  const rows = [...levels.entries()]
    .sort((a, b) => Number(b[0].split('×')[0]) - Number(a[0].split('×')[0]))
    .map(([size, l]) => ({ size, v1Channels: l.v1, v1Kb: kb(size, l.v1), v2Channels: l.v2, v2Kb: kb(size, l.v2) }));
  const weights = initWeights(v2);
  const plain = await InferenceSession.create(v2, weights, { threads: 1 });
  const efficient = await InferenceSession.create(v2, weights, { threads: 1, memoryEfficient: true });
  const measured = { plainBytes: plain.peakActivationBytes(1), memoryEfficientBytes: efficient.peakActivationBytes(1) };
  await plain.release();
  await efficient.release();
  return {
    resolution,
    rows,
    v1MaxKb: Math.max(...rows.map((r) => r.v1Kb)),
    v2MaxKb: Math.max(...rows.map((r) => r.v2Kb)),
    measured,
  };
}
