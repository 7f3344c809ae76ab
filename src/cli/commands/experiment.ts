/** mobilenet experiment: the papers' experiments, with tables and plots. */
import type { Command } from 'commander';
import { manifoldExperiment, memoryTable, measureSeparableLayer, measureSeparableNetwork } from '../../experiments/index.js';
import { millions } from '../format.js';
import { panelGrid, barChart } from '../../plot/index.js';
import { writePlot } from '../../node/plot.js';
import { textTable } from '../format.js';
import { UsageError } from '../errors.js';
import { parseChoice, parseInteger, parseList, parsePositiveNumber } from '../options.js';
import { runTradeoff } from '../../node/tradeoff.js';
import type { Arch } from '../../spec/types.js';

function parseDims(raw: string): number[] {
  return parseList('--dims', raw, (flag, p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 2) throw new UsageError(`${flag} must be a comma-separated list of integers ≥ 2, got '${raw}'`);
    return n;
  });
}

/** Why measured and theoretical speed-ups differ, from the numbers actually measured. */
function explainLayer(measured: number, theory: number): string {
  if (measured < theory * 0.9) {
    return 'Layer: measured below theory: the full convolution is one large GEMM near the SIMD peak, while the depthwise part of the separable layer does 1/N of the work at a fraction of the peak (memory-bound: each input is reused only 9 times).';
  }
  return 'Layer: measured ≈ theory: both versions run near the same efficiency (GEMM for the full conv after im2col, GEMM for the 1×1; the depthwise step is too small to matter).';
}

function explainNetwork(measured: number, theory: number): string {
  if (measured > theory * 1.1) {
    return "Network: measured above theory: the Conv MobileNet's full 3×3 convolutions run through the engine's direct-convolution kernel, which is built for the 3-channel stem and is far from the SIMD peak with hundreds of input channels (routing them through im2col + GEMM, as the single-layer measurement does, would bring the measured ratio down towards theory).";
  }
  if (measured < theory * 0.9) return 'Network: measured below theory: the depthwise layers are memory-bound and run far below the peak that the full convolutions reach.';
  return 'Network: measured ≈ theory.';
}

export function registerExperiments(program: Command): void {
  const experiment = program.command('experiment').description("rerun the papers' experiments: manifold, separable, tradeoff, memory");

  experiment
    .command('manifold')
    .description('MobileNetV2 Figure 1: a 2-D spiral embedded in n dimensions, through ReLU, projected back')
    .option('--dims <list>', 'embedding dimensions', '2,3,5,15,30')
    .option('--points <m>', 'points on the spiral', '1000')
    .option('--trials <k>', 'random embeddings per n for the mean error', '20')
    .option('--seed <s>', 'seed', '0')
    .option('--out <file.png>', 'the figure (PNG or SVG)', 'manifold.png')
    .option('--json', 'print the errors as JSON instead of a table')
    .action(async (flags: { dims: string; points: string; trials: string; seed: string; out: string; json?: boolean }) => {
      const r = manifoldExperiment({
        dims: parseDims(flags.dims),
        points: parseInteger('--points', flags.points, 3),
        trials: parseInteger('--trials', flags.trials, 1),
        seed: parseInteger('--seed', flags.seed, 0),
      });
      const pts = (a: Float64Array): Array<[number, number]> => Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i]!, a[2 * i + 1]!]);
      const colors = Array.from(r.position);
      const panels = [
        { title: 'Input', points: pts(r.spiral), colors },
        ...r.runs.map((run) => ({ title: `ReLU, n = ${run.n}`, points: pts(run.relu), colors })),
        { title: 'Identity (any n)', points: pts(r.runs.at(-1)!.linear), colors },
      ];
      await writePlot(flags.out, panelGrid({ title: 'ReLU of a 2-D spiral embedded in n dimensions, projected back (MobileNetV2 Fig. 1)', panels, columns: Math.min(4, panels.length) }));
      const rows = r.runs.map((run) => ({ n: run.n, reluError: run.reluError, reluErrorStd: run.reluErrorStd, reluRawError: run.reluRawError, linearError: run.linearError }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ options: r.options, figure: flags.out, runs: rows })}\n`);
        return;
      }
      process.stdout.write(
        `${textTable(
          [{ header: 'n', align: 'right' }, { header: 'ReLU error', align: 'right' }, { header: '± std', align: 'right' }, { header: 'raw error', align: 'right' }, { header: 'identity error', align: 'right' }],
          rows.map((x) => [String(x.n), x.reluError.toFixed(4), x.reluErrorStd.toFixed(4), x.reluRawError.toFixed(4), x.linearError.toExponential(1)]),
        )}\n\nerror = share of the spiral no linear map recovers from the projection (mean of ${r.options.trials} random embeddings); raw = ‖x̂ − x‖²/‖x‖².\nfigure: ${flags.out}\n`,
      );
    });

  experiment
    .command('separable')
    .description('full vs depthwise separable convolution: theory (MobileNetV1 Tables 3 and 4) and measured speed-ups')
    .option('--size <n>', 'feature map size of the single layer', '14')
    .option('--channels <n>', 'input and output channels of the single layer', '512')
    .option('--resolution <R>', 'input size of the whole-network comparison', '224')
    .option('--iters <k>', 'timed runs per measurement', '10')
    .option('--out <file.png>', 'a bar chart (PNG or SVG)', 'separable.png')
    .option('--json', 'print JSON')
    .action(async (flags: { size: string; channels: string; resolution: string; iters: string; out: string; json?: boolean }) => {
      const size = parseInteger('--size', flags.size, 3);
      const channels = parseInteger('--channels', flags.channels, 1);
      const iters = parseInteger('--iters', flags.iters, 1);
      const layer = measureSeparableLayer({ size, inChannels: channels, outChannels: channels, kernel: 3 }, iters);
      const net = await measureSeparableNetwork(parseInteger('--resolution', flags.resolution, 32), iters);
      const layerName = `one layer ${size}×${size}×${channels}→${channels}`;
      await writePlot(flags.out, barChart({
        title: 'Full convolution ÷ depthwise separable: theoretical and measured speed-up (1 thread)',
        yLabel: 'speed-up (×)',
        categories: [layerName, `MobileNetV1 ${net.resolution}`],
        series: [
          { name: 'theory (mult-adds)', values: [layer.theoreticalSpeedup, net.theoreticalSpeedup] },
          { name: 'measured (time)', values: [layer.measuredSpeedup, net.measuredSpeedup] },
        ],
      }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ layer, network: net, figure: flags.out })}\n`);
        return;
      }
      const t = layer.theory;
      const rows = [
        [layerName, 'full 3×3', millions(t.full.macs, 1), millions(t.full.params, 2), layer.measured.fullMs.toFixed(2), ''],
        ['', 'depthwise separable', millions(t.separable.macs, 1), millions(t.separable.params, 2), layer.measured.separableMs.toFixed(2), `${layer.theoreticalSpeedup.toFixed(1)}× theory, ${layer.measuredSpeedup.toFixed(1)}× measured`],
        [`MobileNetV1 ${net.resolution}`, 'Conv MobileNet', millions(net.full.macs, 0), millions(net.full.params, 1), net.full.ms.toFixed(1), ''],
        ['', 'MobileNet', millions(net.separable.macs, 0), millions(net.separable.params, 1), net.separable.ms.toFixed(1), `${net.theoreticalSpeedup.toFixed(1)}× theory, ${net.measuredSpeedup.toFixed(1)}× measured`],
      ];
      process.stdout.write(`${textTable(
        [{ header: '' }, { header: 'convolution' }, { header: 'mult-adds', align: 'right' }, { header: 'weights', align: 'right' }, { header: 'ms', align: 'right' }, { header: 'speed-up' }],
        rows,
      )}\n\n1/N + 1/k² = ${t.theoreticalRatio.toFixed(4)} (separable / full mult-adds for the layer).\n` +
      `Layer detail: im2col ${layer.measured.im2colMs.toFixed(2)} ms + GEMM ${layer.measured.gemmMs.toFixed(2)} ms; depthwise ${layer.measured.depthwiseMs.toFixed(2)} ms + pointwise ${layer.measured.pointwiseMs.toFixed(2)} ms.\n` +
      `${explainLayer(layer.measuredSpeedup, layer.theoreticalSpeedup)}\n${explainNetwork(net.measuredSpeedup, net.theoreticalSpeedup)}\n` +
      `figure: ${flags.out}\n`);
    });

  experiment
    .command('tradeoff')
    .description('MobileNetV1 Tables 6–7 / Figures 4–5 on Fashion-MNIST: train a grid of width multipliers × resolutions with one short budget; accuracy vs multiply-adds vs latency')
    .option('--arch <name>', 'mobilenet_v1 | mobilenet_v2', 'mobilenet_v1')
    .option('--alphas <list>', 'width multipliers α', '1,0.75,0.5,0.25')
    .option('--resolutions <list>', 'input sizes (the 28×28 images are resized; small-input variant)', '28,24,20,16')
    .option('--dataset <name>', 'fashion-mnist | sample (bundled 1,000 images)', 'fashion-mnist')
    .option('--data-dir <dir>', 'where the Fashion-MNIST IDX files are (default /usr/share/datasets/fashion-mnist, else the cache folder train --download fills)')
    .option('--train-images <n>', 'the budget: a seeded random subset of this many training images…', '10000')
    .option('--epochs <n>', '…for this many epochs (SGD Nesterov, cosine schedule, label smoothing 0.1, crop and flip)', '2')
    .option('--batch <n>', 'batch size', '64')
    .option('--lr <lr>', 'peak learning rate', '0.1')
    .option('--seed <n>', 'seed of subset, initialization, shuffling and augmentation', '0')
    .option('--latency-iters <k>', 'timed single-image runs per model (median; 1 thread)', '30')
    .option('--precise-bn <images>', 'recompute each model\'s BN statistics over this many training images after training (0 = off)', '2048')
    .option('--out <dir>', 'output folder: runs/<point>/ (each resumable), tradeoff.json, tradeoff.png, tradeoff-latency.png', 'tradeoff')
    .option('--json', 'print the result as JSON instead of a table')
    .action(async (flags: {
      arch: string; alphas: string; resolutions: string; dataset: string; dataDir?: string; trainImages: string; epochs: string;
      batch: string; lr: string; seed: string; latencyIters: string; preciseBn: string; out: string; json?: boolean;
    }) => {
      const arch = parseChoice<Arch>('--arch', flags.arch, ['mobilenet_v1', 'mobilenet_v2']);
      const alphas = parseList('--alphas', flags.alphas, parsePositiveNumber);
      const resolutions = parseList('--resolutions', flags.resolutions, (flag, raw) => parseInteger(flag, raw, 8));
      const dataset = parseChoice('--dataset', flags.dataset, ['fashion-mnist', 'sample'] as const);
      const batchSize = parseInteger('--batch', flags.batch, 2);
      const trainImages = parseInteger('--train-images', flags.trainImages, batchSize);
      const result = await runTradeoff({
        arch, alphas, resolutions, dataset, ...(flags.dataDir ? { dataDir: flags.dataDir } : {}), trainImages,
        config: {
          epochs: parseInteger('--epochs', flags.epochs, 1),
          batchSize,
          lr: parsePositiveNumber('--lr', flags.lr),
          optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 4e-5 },
          schedule: { type: 'cosine' },
          labelSmoothing: 0.1,
          seed: parseInteger('--seed', flags.seed, 0),
          emaDecay: 0,
          freezeBackbone: false,
        },
        augment: { cropPadding: 2, horizontalFlip: true },
        latencyIterations: parseInteger('--latency-iters', flags.latencyIters, 1),
        preciseBatchNorm: parseInteger('--precise-bn', flags.preciseBn, 0),
        out: flags.out,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      if (result.interrupted) {
        process.exitCode = 130;
        return;
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const best = new Set(result.pareto.map((p) => `${p.alpha}/${p.resolution}`));
      process.stdout.write(`${textTable(
        [{ header: 'α' }, { header: 'resolution', align: 'right' }, { header: 'mult-adds', align: 'right' }, { header: 'weights', align: 'right' }, { header: 'accuracy', align: 'right' }, { header: 'ms / image', align: 'right' }, { header: '' }],
        result.rows.map((r) => [String(r.alpha), `${r.resolution}×${r.resolution}`, millions(r.macs, 2), millions(r.params, 3), `${(100 * r.accuracy).toFixed(2)}%`, r.latencyMs.toFixed(2), best.has(`${r.alpha}/${r.resolution}`) ? 'pareto' : '']),
      )}\n\nbudget: ${result.trainImages} training images × ${result.config.epochs} epochs per model; accuracy on the ${dataset} test set; latency: median of ${flags.latencyIters} single-image runs, 1 thread.\n` +
      `pareto: no other model is both cheaper (mult-adds) and more accurate.\nfigures: ${result.figures!.macs}, ${result.figures!.latency}\n`);
    });

  experiment
    .command('memory')
    .description('MobileNetV2 Table 3: the largest tensor that must be materialized at each resolution, V1 vs V2, 16-bit')
    .option('--resolution <R>', 'input size', '224')
    .option('--out <file.png>', 'a bar chart (PNG or SVG)', 'memory.png')
    .option('--json', 'print JSON')
    .action(async (flags: { resolution: string; out: string; json?: boolean }) => {
      const table = await memoryTable(parseInteger('--resolution', flags.resolution, 32));
      await writePlot(flags.out, barChart({
        title: 'Largest tensor to materialize per resolution (16-bit), MobileNetV2 Table 3',
        xLabel: 'feature map size', yLabel: 'KB', logY: true,
        categories: table.rows.map((r) => r.size),
        series: [
          { name: 'MobileNetV1', values: table.rows.map((r) => r.v1Kb) },
          { name: 'MobileNetV2 (memory-efficient)', values: table.rows.map((r) => r.v2Kb) },
        ],
      }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...table, figure: flags.out })}\n`);
        return;
      }
      process.stdout.write(`${textTable(
        [{ header: 'size' }, { header: 'V1 channels', align: 'right' }, { header: 'V1 KB', align: 'right' }, { header: 'V2 channels', align: 'right' }, { header: 'V2 KB', align: 'right' }],
        table.rows.map((r) => [r.size, String(r.v1Channels), r.v1Kb.toFixed(0), String(r.v2Channels), r.v2Kb.toFixed(0)]),
      )}\n\nmax: V1 ${table.v1MaxKb.toFixed(0)} KB, V2 ${table.v2MaxKb.toFixed(0)} KB (the paper: 1600 / 400, a later revision 800 / 200)\n` +
      `measured by the runtime (batch 1, fp32 arena + band buffers): plain ${(table.measured.plainBytes / 1e6).toFixed(2)} MB, memory-efficient ${(table.measured.memoryEfficientBytes / 1e6).toFixed(2)} MB\nfigure: ${flags.out}\n`);
    });
}
