// pointwiseWeightGrad: the weight (and bias) gradient of a 1×1 convolution or dense layer,
// dW[ci][co] (+)= Σ_p X[p][ci]·dY[p][co], dBias[co] (+)= Σ_p dY[p][co], for a sub-range of input
// channels (threads split the rows of dW, no reduction). The descriptor is documented in
// src/kernels/wasm/README.md; the register tiles are in ./gradTiles.ts.
//
// Pixels go in blocks; a block sweeps every 16-channel panel of dY (outer) and every pair of input
// channels (inner), so the block's panel of dY (block × 64 bytes) stays in L1 while all its pairs of
// X columns stream past, and each tile's accumulators are added into dW once per block.
import { max32, min32 } from './common';
import { biasRun, gradRun, zeroRows } from './gradTiles';
import {
  PWG_ACCUMULATE, PWG_GRAD_BIAS, PWG_GRAD_OUTPUT, PWG_GRAD_STRIDE, PWG_GRAD_WEIGHT, PWG_IN_CHANNEL_END,
  PWG_IN_CHANNEL_START, PWG_IN_STRIDE, PWG_INPUT, PWG_OUT_CHANNELS, PWG_PIXEL_END, PWG_PIXEL_START,
} from './layout';

/**
 * Pixels per block: the block's X rows for the input-channel range should stay in L2 while every
 * panel of dY sweeps them (BLOCK_BYTES), within [MIN_BLOCK, MAX_BLOCK] pixels.
 */
const BLOCK_BYTES: i32 = 196608;
const MIN_BLOCK: i32 = 64;
const MAX_BLOCK: i32 = 512;

/** L1 geometry assumed for the set-conflict limit: 64 sets of 64-byte lines, 8 ways (32 KiB). */
const L1_SETS: i32 = 64;
const L1_WAYS: i32 = 8;
const SET_SAFE_MIN: i32 = 32;

/** Pixels whose lines at a stride of `stride` bytes fit in the L1 sets they map to. */
function setSafePixels(stride: usize): i32 {
  if ((stride & 63) != 0) return 1 << 30; // lines at other offsets spread over all sets
  let a = <i32>(stride >> 6) % L1_SETS;
  let b = L1_SETS;
  while (a != 0) {
    const t = b % a;
    b = a;
    a = t;
  }
  return (L1_SETS / b) * L1_WAYS;
}

export function pointwiseWeightGrad(d: usize): void {
  const input = load<u32>(d, PWG_INPUT) as usize;
  const gradOutput = load<u32>(d, PWG_GRAD_OUTPUT) as usize;
  const gradWeight = load<u32>(d, PWG_GRAD_WEIGHT) as usize;
  const gradBias = load<u32>(d, PWG_GRAD_BIAS) as usize;
  const pixelStart = load<i32>(d, PWG_PIXEL_START);
  const pixelEnd = load<i32>(d, PWG_PIXEL_END);
  const outChannels = load<i32>(d, PWG_OUT_CHANNELS);
  const ciStart = load<i32>(d, PWG_IN_CHANNEL_START);
  const ciEnd = load<i32>(d, PWG_IN_CHANNEL_END);
  const sx = (load<i32>(d, PWG_IN_STRIDE) as usize) << 2;
  const sy = (load<i32>(d, PWG_GRAD_STRIDE) as usize) << 2;
  const accumulate = load<i32>(d, PWG_ACCUMULATE) != 0;

  const rowBytes = (outChannels as usize) << 2; // between rows of dW
  const taps = ciEnd - ciStart;
  const w = gradWeight + (ciStart as usize) * rowBytes;
  if (!accumulate) {
    zeroRows(w, taps, rowBytes, 0, outChannels);
    if (gradBias != 0) zeroRows(gradBias, 1, 0, 0, outChannels);
  }
  let block = min32(MAX_BLOCK, max32(MIN_BLOCK, BLOCK_BYTES / max32(1, taps << 2)));
  // A block's dY panel has one cache line per pixel; when the pixel stride is a multiple of many
  // lines (1280 floats = 80 lines) those lines fall into few L1 sets (64 / gcd(80, 64) = 4) and evict
  // each other. Keep the block within what those sets hold (L1_WAYS per set).
  block = min32(block, max32(SET_SAFE_MIN, setSafePixels(sy)));
  for (let p0 = pixelStart; p0 < pixelEnd; p0 += block) {
    const n = min32(block, pixelEnd - p0);
    const x = input + (p0 as usize) * sx + ((ciStart as usize) << 2);
    const y = gradOutput + (p0 as usize) * sy;
    gradRun(x, sx, 0, y, sy, 0, 1, n, taps, w, rowBytes, 0, outChannels);
    if (gradBias != 0) biasRun(y, sy, 0, 1, n, gradBias, 0, outChannels);
  }
}
