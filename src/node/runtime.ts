/**
 * Node's platform features for the fast engine, set up once: relaxed SIMD (behind a V8 flag in
 * Node 20) and worker_threads for multi-threaded inference. loadModel() and the CLI call it; API
 * users who create sessions directly call it themselves.
 */
import { enableRelaxedSimd } from './wasm-features.js';
import { enableWorkerThreads } from './worker-pool.js';

let done = false;

export function useNodeRuntime(): { relaxedSimd: boolean } {
  const relaxedSimd = enableRelaxedSimd();
  if (!done) {
    enableWorkerThreads();
    done = true;
  }
  return { relaxedSimd };
}
