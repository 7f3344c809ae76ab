/**
 * Training throughput of the Fashion-MNIST recipe's model (MobileNetV2 α=0.35, small input, 28×28,
 * batch 64, SGD Nesterov) on one thread, and the GFLOP/s it implies (a training step ≈ 3× the forward
 * multiply-adds). Compare with tools/bench_torch_training.py (PyTorch on the CPU, same model).
 *   npm run bench:train [threads] [batch]
 */
import { buildGraph, createSpec, graphCost, initWeights, Trainer } from '../src/index.js';
import { useNodeRuntime } from '../src/node/index.js';

useNodeRuntime();
const graph = buildGraph(createSpec('mobilenet_v2', { alpha: 0.35, resolution: 28, smallInput: true, classes: 10 }));
const threads = Number(process.argv[2] ?? 1);
const batch = Number(process.argv[3] ?? 64);
const trainer = await Trainer.create(graph, initWeights(graph, { seed: 0 }), {
  epochs: 1, batchSize: batch, lr: 0.05, optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 4e-5 },
  schedule: { type: 'constant' }, labelSmoothing: 0.1, seed: 0, emaDecay: 0, freezeBackbone: false,
}, { threads });
const x = Float32Array.from({ length: batch * 28 * 28 * 3 }, (_, i) => Math.sin(i));
const y = Int32Array.from({ length: batch }, (_, i) => i % 10);
for (let i = 0; i < 3; i++) await trainer.trainStep(x, y, 100);
const steps = 20;
const t0 = performance.now();
for (let i = 0; i < steps; i++) await trainer.trainStep(x, y, 100);
const seconds = (performance.now() - t0) / 1000;
const imagesPerSecond = (batch * steps) / seconds;
const flopsPerImage = 3 * 2 * graphCost(graph).totals.macs;
console.log(`mobilenet-ts training, ${threads} thread(s): ${imagesPerSecond.toFixed(1)} images/s, ${((imagesPerSecond * flopsPerImage) / 1e9).toFixed(1)} GFLOP/s (${(seconds / steps * 1000).toFixed(1)} ms per step of ${batch})`);
await trainer.close();
