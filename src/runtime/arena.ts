/**
 * A memory arena for activations with liveness-based reuse: every tensor gets an offset such
 * that two tensors alive at the same time never overlap. Greedy by size (largest first, lowest
 * offset that fits), the usual approach for static inference plans.
 */
export interface TensorLifetime {
  name: string;
  /** Bytes (rounded up to the alignment by the arena). */
  bytes: number;
  /** First and last step (inclusive) at which the tensor is written or read. */
  first: number;
  last: number;
}

export interface ArenaPlan {
  offsets: Map<string, number>;
  /** Total bytes: the peak of live activations under this plan. */
  size: number;
}

export function planArena(tensors: readonly TensorLifetime[], alignment = 64): ArenaPlan {
  const align = (n: number) => Math.ceil(n / alignment) * alignment;
  const sorted = [...tensors].sort((a, b) => b.bytes - a.bytes || a.first - b.first);
  const placed: Array<{ offset: number; end: number; first: number; last: number }> = [];
  const offsets = new Map<string, number>();
  let size = 0;
  for (const t of sorted) {
    const bytes = align(Math.max(t.bytes, 1));
    const conflicts = placed.filter((p) => p.first <= t.last && t.first <= p.last).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const c of conflicts) {
      if (offset + bytes <= c.offset) break;
      offset = Math.max(offset, c.end);
    }
    placed.push({ offset, end: offset + bytes, first: t.first, last: t.last });
    offsets.set(t.name, offset);
    size = Math.max(size, offset + bytes);
  }
  return { offsets, size };
}
