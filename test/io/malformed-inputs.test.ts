/**
 * Seeded, deterministic mutation tests of every parser of files: valid small files of each format
 * are truncated, bit-flipped, have length/offset/count fields overwritten with huge or negative
 * values, bytes inserted, duplicated, deleted or zero-filled (test/io/mutate.ts), and each result is
 * fed to the public entry point (test/io/malformed-targets.ts). An input must either parse (a
 * mutation can leave a valid file) or be refused with a MobileNetError whose message is not empty
 * (and whose code is not INTERNAL); a TypeError, RangeError or other plain Error is a failure.
 *
 * Hangs and huge allocations cannot be caught in-process. The inputs are a few kB and the parsers
 * cap what they allocate by the file's length; a parser that loops would block this file (the one
 * loop found, HDF5's global heap reader on an object of size 0, is now refused before h5wasm runs).
 *
 * A longer search: MOBILENET_FUZZ_SCALE=100 node --test dist/test/io/malformed-inputs.test.js runs
 * 100 times as many mutations (same seeds, so the first ones are the suite's) and prints the slow ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz } from './mutate.js';
import { malformedTargets } from './malformed-targets.js';

/** Mutated inputs per format, shared among its files; about 4 s of CPU in all. */
const PER_FORMAT: Readonly<Record<string, number>> = { safetensors: 400, checkpoint: 300, npy: 300, torch: 600, keras: 200, onnx: 300, idx: 200 };
const SEED = 20240601;
const SCALE = Number(process.env['MOBILENET_FUZZ_SCALE'] ?? 1);
if (!Number.isInteger(SCALE) || SCALE < 1) throw new Error(`MOBILENET_FUZZ_SCALE must be a whole number ≥ 1, got '${process.env['MOBILENET_FUZZ_SCALE']}'`);

for (const group of malformedTargets()) {
  test(`malformed inputs: ${group.format} (${PER_FORMAT[group.format]! * SCALE} seeded mutations)`, async () => {
    const failures: string[] = [];
    for (const [index, target] of group.targets.entries()) {
      await target.run(target.base); // the unmutated file parses
      const count = Math.ceil((PER_FORMAT[group.format]! * SCALE) / group.targets.length);
      failures.push(...(await fuzz(target, count, SEED + index, SCALE > 1 ? (line) => console.log(line) : undefined)));
      // A parser with state (h5wasm's WASM instance, virtual files, error handler) still reads a valid file.
      await target.run(target.base);
    }
    assert.deepEqual(failures, [], `${failures.length} mutated input(s) not refused with a MobileNetError:\n${failures.slice(0, 20).join('\n')}`);
  });
}
