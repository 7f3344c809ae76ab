/**
 * The contract between the fast engine and a pool of threads. The engine is core code; a pool is
 * platform code (Node: worker_threads, src/node/worker-pool.ts; browsers: Web Workers, later).
 * The calling thread is thread 0 and runs its share of every step itself, so a pool of size 1 is
 * just the caller.
 */
import type { StepPlan } from './execute.js';

export interface WorkerPool {
  /** Threads including the caller. */
  readonly threads: number;
  /** Give every worker its share of a plan (then `run` executes it). */
  load(steps: readonly StepPlan[]): void;
  /**
   * Wake the workers to run the loaded plan. The caller then runs thread 0's share. Forgets the last
   * run's failure first (CONTROL.error and unread messages): one failed run does not fail the next.
   */
  start(): void;
  /** Wake the workers to run their job slots (written by the caller); the caller runs slot 0, then waits at the barrier. Forgets the last failure as start() does. */
  startCalls(): void;
  /** After the run's last barrier: the first worker error of that run, if any. */
  takeError(): string | undefined;
  close(): Promise<void>;
}

/** How the engine asks the platform for a pool (the Node adapter registers worker_threads). */
export type WorkerPoolFactory = (options: {
  threads: number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of the control block (CONTROL.words Int32 words) in the memory. */
  controlOffset: number;
}) => Promise<WorkerPool>;

/** The most threads a session or network may use (a barrier's cost grows with them). */
export const MAX_THREADS = 64;

let factory: WorkerPoolFactory | undefined;
let defaultThreads = 1;

/**
 * Called by a platform adapter (Node: `useNodeRuntime()` from mobilenet-ts/node) to enable threads;
 * `threads` becomes the default thread count (the machine's cores, at most MAX_THREADS: a machine
 * with more cores must not make every default session invalid).
 */
export function registerWorkerPoolFactory(f: WorkerPoolFactory, threads: number): void {
  factory = f;
  defaultThreads = Math.min(MAX_THREADS, Math.max(1, Math.floor(threads)));
}

export function workerPoolFactory(): WorkerPoolFactory | undefined {
  return factory;
}

/** Threads a session uses when none are asked for: 1 unless a platform registered its cores. */
export function defaultThreadCount(): number {
  return factory ? defaultThreads : 1;
}
