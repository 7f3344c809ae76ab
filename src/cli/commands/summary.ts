import type { Command } from 'commander';
import { summarize, type ModelSummary, type LayerType } from '../../index.js';
import { bytes, markdownTable, millions, shape, textTable, thousands, type Column } from '../format.js';
import { modelOptionsFromFlags, type RawModelFlags } from '../options.js';
import { UsageError } from '../errors.js';

interface SummaryFlags extends RawModelFlags {
  json?: boolean;
  markdown?: boolean;
}

const LAYER_COLUMNS: Column[] = [
  { header: 'name' },
  { header: 'operator' },
  { header: 'input' },
  { header: 'output' },
  { header: 'params', align: 'right' },
  { header: 'MACs', align: 'right' },
];

const TYPE_COLUMNS: Column[] = [
  { header: 'layer type' },
  { header: 'MACs', align: 'right' },
  { header: '% MACs', align: 'right' },
  { header: 'weights', align: 'right' },
  { header: '% weights', align: 'right' },
];

function layerRows(s: ModelSummary): string[][] {
  return s.layers.map((l) => [
    l.name,
    l.description,
    shape(l.inputShape),
    shape(l.outputShape),
    l.params.trainable ? thousands(l.params.trainable) : '',
    l.macs ? thousands(l.macs) : '',
  ]);
}

function typeRows(s: ModelSummary): string[][] {
  return (Object.entries(s.byType) as Array<[LayerType, ModelSummary['byType'][LayerType]]>)
    .filter(([type]) => type !== 'other')
    .map(([, t]) => [t.label, millions(t.macs), t.macsPercent.toFixed(2), thousands(t.params.weights), t.weightsPercent.toFixed(2)]);
}

function totalRows(s: ModelSummary): string[][] {
  const t = s.totals;
  return [
    ['MACs (multiply-adds)', millions(t.macs), 'conv k·k·(Cin/groups)·Cout·Hout·Wout, FC in·out'],
    ['params, trainable', thousands(t.params.trainable), 'conv/FC weights and biases + BN γ, β (torchvision, Keras trainable)'],
    ['params, without BN', thousands(t.params.noBN), 'conv/FC weights and biases (TF-slim tables)'],
    ['params, all', thousands(t.params.all), 'trainable + BN moving mean and variance (Keras total)'],
    ['params, kernel weights', thousands(t.params.weights), 'no biases, no BN (MobileNetV1 paper Table 2)'],
    ['largest tensor', `${bytes(t.memory.largestTensorBytes.fp32)} fp32, ${bytes(t.memory.largestTensorBytes.fp16)} fp16`, 'batch 1'],
    ['peak activations', `${bytes(t.memory.peakActivationBytes.fp32)} fp32, ${bytes(t.memory.peakActivationBytes.fp16)} fp16`, 'plain layer-by-layer schedule, batch 1'],
  ];
}

function heading(s: ModelSummary): string {
  const c = s.config;
  return `${s.model}: ${c['convention']} convention, ${c['classes']} classes, input ${c['height']}×${c['width']}×3, α ${c['alpha']}, output stride ${c['outputStride']}`;
}

export function formatSummaryText(s: ModelSummary): string {
  const taps = s.taps.map((t) => `/${t.reduction}: ${t.node} (${shape(t.shape)})`).join(', ');
  return [
    heading(s),
    '',
    textTable(LAYER_COLUMNS, layerRows(s)),
    '',
    'Totals',
    textTable([{ header: '' }, { header: '', align: 'right' }, { header: '' }], totalRows(s)).split('\n').slice(2).join('\n'),
    '',
    textTable(TYPE_COLUMNS, typeRows(s)),
    '',
    `Feature taps: ${taps}`,
    '',
  ].join('\n');
}

export function formatSummaryMarkdown(s: ModelSummary): string {
  return [
    `## ${heading(s)}`,
    '',
    markdownTable([{ header: 'total' }, { header: 'value', align: 'right' }, { header: 'counting' }], totalRows(s)),
    '',
    markdownTable(TYPE_COLUMNS, typeRows(s)),
    '',
    markdownTable(LAYER_COLUMNS, layerRows(s)),
    '',
  ].join('\n');
}

export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description('print the layers, parameter counts, multiply-adds and activation memory of a model')
    .argument('<model>', "a model name: mobilenet_v1, mobilenet_v2, or a preset like mobilenet_v2_0.35_96 (see 'mobilenet models')")
    .option('--alpha <A>', 'width multiplier α (any positive number)')
    .option('--resolution <R>', 'input size: an integer ≥ 32, or HxW')
    .option('--classes <N>', 'classifier outputs (default 1000; 1001 with --convention slim)')
    .option('--convention <name>', 'torchvision | keras | slim: padding, BN epsilon and channel rounding of that source')
    .option('--output-stride <S>', '8 | 16 | 32: later strides become dilations (dense prediction backbones)')
    .option('--small-input', 'stem and first stride-2 stage at stride 1: downsample by 8 (28×28 or 32×32 images)')
    .option('--json', 'print one JSON object')
    .option('--markdown', 'print markdown tables')
    .action((model: string, flags: SummaryFlags) => {
      if (flags.json && flags.markdown) throw new UsageError('--json and --markdown cannot be used together');
      const summary = summarize(model, modelOptionsFromFlags(flags));
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else if (flags.markdown) process.stdout.write(formatSummaryMarkdown(summary));
      else process.stdout.write(formatSummaryText(summary));
    });
}
