/**
 * The step interpreter every thread runs, the caller as thread 0 and each worker as thread i:
 * a plan is a list of steps; in each step a thread makes its own list of kernel calls (pointers
 * to descriptors already written in the shared memory), then all threads meet at a barrier.
 * Core code: it only needs the kernels' exports and the shared memory, so it runs in Node
 * workers and in browser workers alike.
 */

/** What a call does. Kernel opcodes name exports of the WebAssembly module. */
export const enum Op {
  Pointwise = 1,
  Depthwise3x3 = 2,
  Conv2dDirect = 3,
  GlobalAvgPool = 4,
  /** Copy bytes inside the memory: descriptor = [src, dst, bytes] (i32). */
  Copy = 5,
  /** A reference-kernel step the calling thread runs in JavaScript (no descriptor). */
  Ref = 6,
}

/** One thread's calls in one step: opcodes and descriptor pointers, interleaved [op, ptr, op, ptr, …]. */
export type ThreadCalls = Int32Array;

export interface StepPlan {
  /** calls[thread] for each thread of the pool. */
  calls: ThreadCalls[];
}

export interface KernelExports {
  pointwise(desc: number): void;
  depthwise3x3(desc: number): void;
  conv2dDirect(desc: number): void;
  globalAvgPool(desc: number): void;
}

/** Control words at the start of the shared control block (Int32Array indices). */
export const CONTROL = {
  /** Bumped by the caller to start a run (workers wait on it). */
  start: 0,
  /** What the workers should do when woken: run, reload the plan, or exit. */
  command: 1,
  /** Barrier: threads arrived so far, and the barrier's generation. */
  arrived: 2,
  generation: 3,
  /** Set by a worker that failed; the caller reports it. */
  error: 4,
  words: 8,
} as const;

export const COMMAND = { run: 1, reload: 2, exit: 3 } as const;

/** How many spins before a thread sleeps in Atomics.wait at a barrier: layers take ~0.1–2 ms. */
const SPINS = 20_000;

/** A sense-free generation barrier on shared memory. */
export function barrier(control: Int32Array, threads: number): void {
  if (threads === 1) return;
  const generation = Atomics.load(control, CONTROL.generation);
  if (Atomics.add(control, CONTROL.arrived, 1) === threads - 1) {
    Atomics.store(control, CONTROL.arrived, 0);
    Atomics.add(control, CONTROL.generation, 1);
    Atomics.notify(control, CONTROL.generation);
    return;
  }
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(control, CONTROL.generation) !== generation) return;
  }
  while (Atomics.load(control, CONTROL.generation) === generation) {
    Atomics.wait(control, CONTROL.generation, generation, 100);
  }
}

/**
 * Run a whole plan as one thread. `runRef(step)` executes a reference step (thread 0 only);
 * workers pass undefined and skip those calls.
 */
export function executePlan(
  exports: KernelExports,
  memory: WebAssembly.Memory,
  control: Int32Array,
  steps: readonly StepPlan[],
  thread: number,
  threads: number,
  runRef?: (step: number) => void,
  onStep?: (step: number, ms: number) => void,
): void {
  let started = onStep ? performance.now() : 0;
  let bytes = new Uint8Array(memory.buffer);
  let words = new Int32Array(memory.buffer);
  for (let s = 0; s < steps.length; s++) {
    const calls = steps[s]!.calls[thread];
    if (calls) {
      for (let i = 0; i < calls.length; i += 2) {
        const desc = calls[i + 1]!;
        switch (calls[i] as Op) {
          case Op.Pointwise:
            exports.pointwise(desc);
            break;
          case Op.Depthwise3x3:
            exports.depthwise3x3(desc);
            break;
          case Op.Conv2dDirect:
            exports.conv2dDirect(desc);
            break;
          case Op.GlobalAvgPool:
            exports.globalAvgPool(desc);
            break;
          case Op.Copy: {
            if (bytes.buffer !== memory.buffer) {
              bytes = new Uint8Array(memory.buffer);
              words = new Int32Array(memory.buffer);
            }
            const src = words[desc >> 2]!;
            const dst = words[(desc >> 2) + 1]!;
            const n = words[(desc >> 2) + 2]!;
            bytes.copyWithin(dst, src, src + n);
            break;
          }
          case Op.Ref:
            runRef?.(s);
            break;
        }
      }
    }
    barrier(control, threads);
    if (onStep) {
      const now = performance.now();
      onStep(s, now - started);
      started = now;
    }
  }
}
