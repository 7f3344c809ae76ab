/**
 * addInPlace: target += source over a range of floats (summing gradients, e.g. at a residual
 * connection). Descriptor layout and writer; the kernel itself is assembly/addInPlace.ts.
 */
import { checkFits, checkInt, checkPointer, checkRange, layoutBytes, writeFields, type Layout } from './descriptor.js';

/** target[i] += source[i] for i ∈ [start, end) (element indices; threads split the range). */
export interface AddInPlaceDesc {
  readonly target: number; // floats
  readonly source: number; // floats (the same element i is read: source must not partially overlap target)
  readonly start: number;
  readonly end: number;
}

type AddInPlaceField = keyof AddInPlaceDesc;

/** Byte offsets of the descriptor's fields (assembly/layout.ts AIP_*). */
export const ADD_IN_PLACE_LAYOUT = {
  target: { offset: 0, type: 'i32' },
  source: { offset: 4, type: 'i32' },
  start: { offset: 8, type: 'i32' },
  end: { offset: 12, type: 'i32' },
} as const satisfies Layout<AddInPlaceField>;

export const ADD_IN_PLACE_DESC_BYTES = layoutBytes(ADD_IN_PLACE_LAYOUT); // 16

/** Checks `d` and writes it at byte `at` of `view` (the kernels' memory). */
export function writeAddInPlaceDesc(view: DataView, at: number, d: AddInPlaceDesc): void {
  const name = 'addInPlace';
  checkPointer(name, 'at', at);
  checkPointer(name, 'target', d.target);
  checkPointer(name, 'source', d.source);
  checkRange(name, 'start', checkInt(name, 'start', d.start, 0), 'end', checkInt(name, 'end', d.end, 0), 'end', Infinity);
  checkFits(name, view, at, ADD_IN_PLACE_DESC_BYTES);
  writeFields(view, at, ADD_IN_PLACE_LAYOUT, d);
}
