import { checkArray, checkSameOrDisjoint, fail } from './checks.js';

/**
 * Gradient of add(a, b): ∂(a + b)/∂a = ∂(a + b)/∂b = 1, so both input gradients are gradOutput
 * itself. A graph-level backward pass normally needs no kernel for it (it hands the same buffer to
 * both producers); this copy exists for callers that want separate buffers. gradA and gradB are
 * OVERWRITTEN; either may be null to skip it, or gradOutput itself (then nothing is copied).
 */
export function addBackward(
  gradOutput: Float32Array, // (length)
  gradA: Float32Array | null, // (length), overwritten
  gradB: Float32Array | null, // (length), overwritten
  length: number,
): void {
  const name = 'addBackward';
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 1) {
    fail(name, `length = ${String(length)}, expected a positive integer`);
  }
  checkArray(name, 'gradOutput', gradOutput, length, `(length=${length})`);
  for (const [label, grad] of [['gradA', gradA], ['gradB', gradB]] as const) {
    if (grad === null) continue;
    checkArray(name, label, grad, length, `(length=${length})`);
    checkSameOrDisjoint(name, grad, 'gradOutput', gradOutput, length);
  }
  if (gradA !== null && gradB !== null) checkSameOrDisjoint(name, gradA, 'gradB', gradB, length);

  for (const grad of [gradA, gradB]) {
    if (grad === null || (grad.buffer === gradOutput.buffer && grad.byteOffset === gradOutput.byteOffset)) continue;
    for (let i = 0; i < length; i++) grad[i] = gradOutput[i];
  }
}
