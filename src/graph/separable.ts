/**
 * Full convolution vs depthwise separable convolution for one layer (MobileNetV1 §3.1, Table 3):
 * full: D_K·D_K·M·N·D_F·D_F mult-adds and D_K·D_K·M·N weights; separable: depthwise
 * D_K·D_K·M·D_F·D_F + pointwise M·N·D_F·D_F, weights D_K·D_K·M + M·N; their ratio is
 * 1/N + 1/D_K².
 */
import { invalidArgument } from '../errors.js';

export interface LayerGeometry {
  /** Output feature map size D_F (the paper's Table 3 uses 14). */
  size: number;
  /** Input channels M. */
  inChannels: number;
  /** Output channels N. */
  outChannels: number;
  /** Kernel size D_K. */
  kernel: number;
}

export interface CostPair {
  macs: number;
  params: number;
}

export interface SeparableComparison {
  geometry: LayerGeometry;
  full: CostPair;
  depthwise: CostPair;
  pointwise: CostPair;
  separable: CostPair;
  /** separable / full, measured from the counts. */
  ratio: CostPair;
  /** 1/N + 1/D_K², the paper's closed form (exact for MACs). */
  theoreticalRatio: number;
}

export function separableComparison(geometry: LayerGeometry): SeparableComparison {
  for (const key of ['size', 'inChannels', 'outChannels', 'kernel'] as const) {
    const v = geometry[key];
    if (!Number.isInteger(v) || v < 1) throw invalidArgument(`${key} must be a positive integer, got ${v}`);
  }
  const { size, inChannels: m, outChannels: n, kernel: k } = geometry;
  const area = size * size;
  const full = { macs: k * k * m * n * area, params: k * k * m * n };
  const depthwise = { macs: k * k * m * area, params: k * k * m };
  const pointwise = { macs: m * n * area, params: m * n };
  const separable = { macs: depthwise.macs + pointwise.macs, params: depthwise.params + pointwise.params };
  return {
    geometry,
    full,
    depthwise,
    pointwise,
    separable,
    ratio: { macs: separable.macs / full.macs, params: separable.params / full.params },
    theoreticalRatio: 1 / n + 1 / (k * k),
  };
}
