/**
 * Node-only WebAssembly feature switches. Node 20's V8 ships relaxed SIMD behind a flag; setting it at
 * run time works as long as it happens before the relaxed module is compiled.
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '../kernels/wasm/module.js';

/** Turns on relaxed SIMD in this process (a no-op where it is already on); returns whether it is now available. */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported();
}
