/**
 * Training throughput of the Fashion-MNIST recipes' models (small input, 28×28, SGD Nesterov; default
 * MobileNetV2 α=0.35, or `v1` with α 0.25) and the GFLOP/s it implies (a training step ≈ 3× the
 * forward multiply-adds). Compare with tools/bench_torch_training.py (PyTorch on the CPU, same model).
 *   npm run bench:train -- [threads=1] [batch=64] [v1|v2] [alpha]
 */
import { buildGraph, createSpec, graphCost, initWeights, Trainer } from '../src/index.js';
import { useNodeRuntime } from '../src/node/index.js';

useNodeRuntime();
const threads = Number(process.argv[2] ?? 1);
const batch = Number(process.argv[3] ?? 64);
const arch = process.argv[4] === 'v1' ? 'mobilenet_v1' : 'mobilenet_v2';
const alpha = Number(process.argv[5] ?? (arch === 'mobilenet_v1' ? 0.25 : 0.35));
const graph = buildGraph(createSpec(arch, { alpha, resolution: 28, smallInput: true, classes: 10 }));
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
console.log(`mobilenet-ts training, ${arch} α=${alpha} (${graphCost(graph).totals.params.weights} parameters), ${threads} thread(s): ${imagesPerSecond.toFixed(1)} images/s, ${((imagesPerSecond * flopsPerImage) / 1e9).toFixed(1)} GFLOP/s (${(seconds / steps * 1000).toFixed(1)} ms per step of ${batch})`);
await trainer.close();
