import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import assert from 'node:assert/strict';
import { MobileNetError, type ErrorCode } from '../src/errors.js';

/** The repository root, found from this compiled file's place (dist/test/helpers.js). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of a committed fixture: fixturePath('io', 'small.npy') → <repo>/test/fixtures/io/small.npy. */
export function fixturePath(...parts: string[]): string {
  return join(repoRoot, 'test', 'fixtures', ...parts);
}

/** Largest absolute difference between two equally long arrays, with the index where it occurs. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; index: number } {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let max = 0;
  let index = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max || Number.isNaN(d)) {
      max = Number.isNaN(d) ? Infinity : d;
      index = i;
    }
  }
  return { max, index };
}

/** A small seeded PRNG (mulberry32) so randomized tests are repeatable: the one the library uses. */
export { mulberry32 as seededRandom } from '../src/runtime/weights.js';

/** `fn` throws a MobileNetError with this code whose message matches every pattern. */
export function assertRefused(fn: () => unknown, code: ErrorCode, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MobileNetError, `expected a MobileNetError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const pattern of patterns) assert.match(e.message, pattern);
    return true;
  });
}

/** `promise` rejects with a MobileNetError with this code whose message matches every pattern. */
export async function assertRejected(promise: Promise<unknown>, code: ErrorCode, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof MobileNetError, `expected a MobileNetError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const pattern of patterns) assert.match(e.message, pattern);
    return true;
  });
}
