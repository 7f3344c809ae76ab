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
  /** Copy bytes inside the memory: descriptor = [src, dst, bytes] (u32: addresses pass 2³¹ above 2 GiB). */
  Copy = 5,
  /** A reference-kernel step the calling thread runs in JavaScript (no descriptor). */
  Ref = 6,
  // Training kernels.
  PointwiseWeightGrad = 7,
  Depthwise3x3BackwardInput = 8,
  Depthwise3x3BackwardWeight = 9,
  Conv2dDirectBackwardWeight = 10,
  ChannelStats = 11,
  ScaleShiftClamp = 12,
  BnBackwardReduce = 13,
  BnBackwardApply = 14,
  AddInPlace = 15,
  GlobalAvgPoolBackward = 16,
}

/**
 * One thread's calls in one step: opcodes and descriptor pointers, interleaved [op, ptr, op, ptr, …].
 * A pointer at or above 2³¹ reads back negative: read it with `>>> 0`.
 */
export type ThreadCalls = Int32Array;

export interface StepPlan {
  /** calls[thread] for each thread of the pool. */
  calls: ThreadCalls[];
}

export type { KernelExports } from '../../kernels/wasm/module.js';
import type { KernelExports } from '../../kernels/wasm/module.js';

/** Control words at the start of the shared control block (Int32Array indices). */
export const CONTROL = {
  /** Bumped by the caller to start a run (workers wait on it). */
  start: 0,
  /** What the workers should do when woken: run, reload the plan, or exit. */
  command: 1,
  /** Barrier: threads arrived so far, and the barrier's generation. */
  arrived: 2,
  generation: 3,
  /**
   * Set by a thread whose call threw, so that the others skip their remaining calls (they still meet
   * at every barrier). Cleared by the pool before it wakes the workers for a run.
   */
  error: 4,
  words: 8,
} as const;

export const COMMAND = { run: 1, reload: 2, exit: 3, calls: 4 } as const;

/**
 * Direct calls (the trainer): after the control block, one slot per thread of JOB_SLOT_INTS int32:
 * [count, op, desc, op, desc, …]. The caller writes every thread's list, wakes the workers with
 * COMMAND.calls, runs slot 0 itself, and all meet at a barrier.
 */
export const JOB_AREA_OFFSET = 256;
export const JOB_SLOT_INTS = 8192;

/** Bytes a control block with job slots for `threads` threads needs. */
export function controlBytes(threads: number): number {
  return JOB_AREA_OFFSET + threads * JOB_SLOT_INTS * 4;
}

/** Run one thread's job slot (count, then op/desc pairs). */
export function executeJobSlot(exports: KernelExports, memory: WebAssembly.Memory, controlOffset: number, thread: number): void {
  const slot = new Int32Array(memory.buffer, controlOffset + JOB_AREA_OFFSET + thread * JOB_SLOT_INTS * 4, JOB_SLOT_INTS);
  const count = slot[0]!;
  runCalls(exports, memory, slot.subarray(1, 1 + 2 * count));
}

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

/** What a thread running a plan may be asked to do besides its calls. */
export interface PlanHooks {
  /** Executes a reference step (thread 0 only; workers leave it undefined and skip those calls). */
  runRef?: (step: number) => void;
  /** Called after each step's barrier with the step's wall time. */
  onStep?: (step: number, ms: number) => void;
  /** Called at once when this thread's call throws, before the step's barrier (a worker reports it here). */
  onError?: (error: unknown) => void;
}

/**
 * Run a whole plan as one thread. A call that throws does not end the loop: the thread flags the
 * failure, skips its remaining calls and still meets every barrier (the others would wait there
 * forever), then throws the first error after the last one. The other threads see the flag and skip
 * their calls too: the results are garbage anyway.
 */
export function executePlan(
  exports: KernelExports,
  memory: WebAssembly.Memory,
  control: Int32Array,
  steps: readonly StepPlan[],
  thread: number,
  threads: number,
  hooks: PlanHooks = {},
): void {
  const { runRef, onStep, onError } = hooks;
  let failed = false;
  let failure: unknown;
  let started = onStep ? performance.now() : 0;
  for (let s = 0; s < steps.length; s++) {
    const calls = steps[s]!.calls[thread];
    if (calls && !failed && (threads === 1 || Atomics.load(control, CONTROL.error) === 0)) {
      try {
        runCalls(exports, memory, calls, runRef ? () => runRef(s) : undefined);
      } catch (error) {
        failed = true;
        failure = error;
        onError?.(error);
        if (threads > 1) Atomics.store(control, CONTROL.error, 1);
      }
    }
    barrier(control, threads);
    if (onStep) {
      const now = performance.now();
      onStep(s, now - started);
      started = now;
    }
  }
  if (failed) throw failure;
}

/** Op.Copy's descriptor, [src, dst, bytes], read unsigned: in a memory above 2 GiB addresses pass 2³¹. */
export function copyDescriptor(memory: WebAssembly.Memory, desc: number): { src: number; dst: number; bytes: number } {
  const words = new Uint32Array(memory.buffer, desc >>> 0, 3);
  return { src: words[0]!, dst: words[1]!, bytes: words[2]! };
}

/** Execute [op, desc, op, desc, …]; `runRef` runs the Op.Ref entries (the caller's JavaScript steps). */
export function runCalls(exports: KernelExports, memory: WebAssembly.Memory, calls: Int32Array, runRef?: () => void): void {
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
        const { src, dst, bytes } = copyDescriptor(memory, desc);
        new Uint8Array(memory.buffer).copyWithin(dst, src, src + bytes);
        break;
      }
      case Op.Ref:
        runRef?.();
        break;
      case Op.PointwiseWeightGrad:
        exports.pointwiseWeightGrad(desc);
        break;
      case Op.Depthwise3x3BackwardInput:
        exports.depthwise3x3BackwardInput(desc);
        break;
      case Op.Depthwise3x3BackwardWeight:
        exports.depthwise3x3BackwardWeight(desc);
        break;
      case Op.Conv2dDirectBackwardWeight:
        exports.conv2dDirectBackwardWeight(desc);
        break;
      case Op.ChannelStats:
        exports.channelStats(desc);
        break;
      case Op.ScaleShiftClamp:
        exports.scaleShiftClamp(desc);
        break;
      case Op.BnBackwardReduce:
        exports.bnBackwardReduce(desc);
        break;
      case Op.BnBackwardApply:
        exports.bnBackwardApply(desc);
        break;
      case Op.AddInPlace:
        exports.addInPlace(desc);
        break;
      case Op.GlobalAvgPoolBackward:
        exports.globalAvgPoolBackward(desc);
        break;
    }
  }
}

/** Split [0, n) into `parts` near-equal ranges whose boundaries are multiples of `align`. */
export function split(n: number, parts: number, align = 1): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const units = Math.ceil(n / align);
  for (let i = 0; i < parts; i++) {
    const a = Math.min(n, Math.round((units * i) / parts) * align);
    const b = Math.min(n, Math.round((units * (i + 1)) / parts) * align);
    out.push([a, b]);
  }
  return out;
}
