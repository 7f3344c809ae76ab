/** mobilenet train and mobilenet eval. */
import type { Command } from 'commander';
import type { Arch, Evaluation, ModelOptions, OptimizerConfig, TrainConfig } from '../../index.js';
import { runTraining, evaluateModel, CHECKPOINT_MINUTES } from '../../node/index.js';

import { UsageError } from '../errors.js';
import { parseChoice, parseInteger, parseNonNegativeNumber, parseNumber, parsePositiveNumber, parseProbability, parseResolution } from '../options.js';

interface TrainFlags {
  arch: string;
  alpha: string;
  resolution?: string;
  smallInput?: boolean;
  dataset: string;
  dataDir?: string;
  download?: boolean;
  epochs: string;
  batch: string;
  optimizer: string;
  lr?: string;
  schedule: string;
  weightDecay?: string;
  epsilon?: string;
  warmup: string;
  labelSmoothing: string;
  ema: string;
  swaEpochs: string;
  swaLr?: string;
  seed: string;
  out: string;
  resume?: boolean;
  weights?: string;
  freezeBackbone?: boolean;
  cropPadding: string;
  flip: boolean;
  randomErasing: string;
  dropout?: string;
  preciseBn?: string;
  skipBad?: boolean;
  maxSteps?: string;
  checkpointEvery?: string;
}

/**
 * The documented default recipe: Fashion-MNIST to ~93.2% (93.39% and 92.99% for seeds 0 and 1) in
 * under 20 minutes on a 2-core machine (docs/results/README.md says how it was chosen). Small model, many epochs, weight decay as the
 * regularizer; no label smoothing or random crops (within 15 epochs they cost more than they gave).
 */
export const DEFAULTS = {
  arch: 'mobilenet_v1',
  alpha: '0.25',
  epochs: '15',
  batch: '64',
  optimizer: 'sgd',
  schedule: 'cosine',
  weightDecay: '0.0005',
  labelSmoothing: '0',
  ema: '0',
  seed: '0',
  cropPadding: '0',
};

/**
 * The optimizer by name with its recipe defaults. `weightDecay` undefined: the flag was not given
 * (AdamW then takes its usual 0.01, decoupled; the others the recipe's L2).
 */
function optimizerConfig(name: string, weightDecay: number | undefined, epsilon: number | undefined): { config: OptimizerConfig; lr: number } {
  const eps = epsilon === undefined ? {} : { epsilon };
  const l2 = weightDecay ?? Number(DEFAULTS.weightDecay);
  switch (name) {
    case 'sgd':
      if (epsilon !== undefined) throw new UsageError('--epsilon applies to rmsprop and adamw, not sgd');
      return { config: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: l2 }, lr: 0.1 };
    case 'rmsprop':
      // Both papers: TF RMSprop, decay 0.9, momentum 0.9, ε 1.0 (slim); lr 0.045 in the V2 recipe.
      return { config: { type: 'rmsprop', style: 'tensorflow', rho: 0.9, momentum: 0.9, epsilon: 1.0, ...eps, weightDecay: l2 }, lr: 0.045 };
    case 'adamw':
      return { config: { type: 'adamw', ...eps, weightDecay: weightDecay ?? 0.01 }, lr: 0.002 };
    default:
      throw new UsageError(`--optimizer must be one of sgd, rmsprop, adamw, got '${name}'`);
  }
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train or fine-tune a MobileNet (Fashion-MNIST, the bundled sample, or a folder of images)')
    .option('--arch <name>', 'mobilenet_v1 | mobilenet_v2', DEFAULTS.arch)
    .option('--alpha <A>', 'width multiplier', DEFAULTS.alpha)
    .option('--resolution <R>', 'input size (default: 28 for Fashion-MNIST and the sample, 224 for a folder, the weights\' own with --weights)')
    .option('--dropout <rate>', 'dropout before the classifier (default: the convention\'s, e.g. 0.2 for V2, 0.001 for V1)')
    .option('--small-input', 'stem and first stride-2 stage at stride 1 (default for inputs of 64 pixels or less)')
    .option('--no-small-input', 'the standard strides even for small images (default above 64 pixels, e.g. for ImageNet weights)')
    .option('--dataset <name>', 'fashion-mnist | sample (bundled 1,000 images, ~1 minute) | folder:<dir> (one sub-folder per class)', 'sample')
    .option('--data-dir <dir>', 'where the Fashion-MNIST IDX files are (default /usr/share/datasets/fashion-mnist, else the cache folder --download fills)')
    .option('--download', 'Fashion-MNIST: download the published files (sha256-checked) into --data-dir, or the cache folder, if they are not there')
    .option('--epochs <n>', 'epochs', DEFAULTS.epochs)
    .option('--batch <n>', 'batch size', DEFAULTS.batch)
    .option('--optimizer <name>', 'sgd (Nesterov momentum 0.9) | rmsprop (TF semantics, the papers\') | adamw', DEFAULTS.optimizer)
    .option('--lr <lr>', 'peak learning rate (default: sgd 0.1, rmsprop 0.045, adamw 0.002)')
    .option('--schedule <name>', 'cosine | exponential (×0.98 per epoch, the V2 recipe) | step | constant', DEFAULTS.schedule)
    .option('--weight-decay <λ>', `L2 on conv and dense weights, not depthwise filters, BN or biases (default: ${DEFAULTS.weightDecay}; adamw: 0.01, decoupled)`)
    .option('--epsilon <ε>', 'rmsprop / adamw epsilon (default: rmsprop 1.0 as slim trained MobileNets, adamw 1e-8)')
    .option('--warmup <epochs>', 'linear learning-rate warm-up from 0 over this many epochs (fractions allowed; 0 = off)', '0')
    .option('--label-smoothing <ε>', 'label smoothing', DEFAULTS.labelSmoothing)
    .option('--ema <decay>', 'exponential moving average of the weights (e.g. 0.999); 0 = off', DEFAULTS.ema)
    .option('--swa-epochs <n>', 'stochastic weight averaging: the model is the mean of the weights after each of the last n epochs, BN statistics recomputed (precise BN); 0 = off', '0')
    .option('--swa-lr <lr>', 'with --swa-epochs: hold this learning rate during the averaged epochs instead of following the schedule (default: follow it)')
    .option('--seed <n>', 'seed of initialization, shuffling, augmentation and dropout', DEFAULTS.seed)
    .option('--crop-padding <px>', 'random crop after zero padding by this many pixels (0 = off)', DEFAULTS.cropPadding)
    .option('--no-flip', 'no random horizontal flips')
    .option('--random-erasing <p>', 'random erasing probability (Zhong et al. 2017; 0 = off)', '0')
    .option('--weights <file>', 'start from these weights (transfer learning; a different head is re-initialized); --arch, --alpha and --resolution default to theirs')
    .option('--freeze-backbone', 'train only the classifier, on the frozen backbone\'s features')
    .option('--skip-bad', 'folder datasets: skip (and count) images that fail to decode')
    .option('--precise-bn <images>', 'after the last epoch, recompute the BN statistics over this many training images, augmented as in training (0 = keep the moving averages; default: 2048 if the run is shorter than 10 BN averaging windows, as on the bundled sample, else 0)')
    .option('--max-steps <n>', 'stop after this many steps (saving a checkpoint to resume from)')
    .option('--checkpoint-every <minutes>', 'also checkpoint inside an epoch after this many minutes, so that a killed run loses at most that much (0 = at epoch ends only)', String(CHECKPOINT_MINUTES))
    .requiredOption('--out <dir>', 'output folder: checkpoint, metrics.jsonl, model.safetensors, plots')
    .option('--resume', 'continue from <out>/checkpoint.safetensors')
    .action(async (flags: TrainFlags, command: Command) => {
      // Fine-tuning: the architecture, α and input size not given are the weights' own (runTraining
      // reads them from the file), not the Fashion-MNIST recipe's defaults.
      const given = (name: string) => !flags.weights || command.getOptionValueSource(name) === 'cli';
      const arch = given('arch') ? parseChoice<Arch>('--arch', flags.arch, ['mobilenet_v1', 'mobilenet_v2']) : undefined;
      const model: ModelOptions = given('alpha') ? { alpha: parsePositiveNumber('--alpha', flags.alpha) } : {};
      if (flags.smallInput !== undefined) model.smallInput = flags.smallInput;
      if (flags.dropout !== undefined) model.dropout = parseProbability('--dropout', flags.dropout);
      if (flags.resolution !== undefined) model.resolution = parseResolution(flags.resolution, flags.smallInput === false ? 32 : 8);
      const weightDecay = flags.weightDecay === undefined ? undefined : parseNonNegativeNumber('--weight-decay', flags.weightDecay);
      const epsilon = flags.epsilon === undefined ? undefined : parsePositiveNumber('--epsilon', flags.epsilon);
      const { config: optimizer, lr } = optimizerConfig(flags.optimizer, weightDecay, epsilon);
      const warmupEpochs = parseNonNegativeNumber('--warmup', flags.warmup);
      const schedule = parseChoice('--schedule', flags.schedule, ['cosine', 'exponential', 'step', 'constant'] as const);
      const config: TrainConfig = {
        epochs: parseInteger('--epochs', flags.epochs, 1),
        batchSize: parseInteger('--batch', flags.batch, 2),
        lr: flags.lr === undefined ? lr : parsePositiveNumber('--lr', flags.lr),
        optimizer,
        schedule: { type: schedule, ...(schedule === 'exponential' ? { decayRate: 0.98 } : {}), ...(warmupEpochs > 0 ? { warmupEpochs } : {}) },
        labelSmoothing: parseNumber('--label-smoothing', flags.labelSmoothing),
        seed: parseInteger('--seed', flags.seed, 0),
        emaDecay: parseNumber('--ema', flags.ema),
        freezeBackbone: Boolean(flags.freezeBackbone),
      };
      const swaEpochs = parseInteger('--swa-epochs', flags.swaEpochs, 0);
      if (swaEpochs > config.epochs) throw new UsageError(`--swa-epochs ${swaEpochs} is more than the run's ${config.epochs} epochs`);
      if (swaEpochs > 0 && config.emaDecay > 0) throw new UsageError('--swa-epochs and --ema are two ways of averaging the weights; choose one');
      // Only when on, so that checkpoints of runs without it keep the config they were written with.
      if (swaEpochs > 0) config.swaEpochs = swaEpochs;
      if (flags.swaLr !== undefined) {
        if (swaEpochs === 0) throw new UsageError('--swa-lr needs --swa-epochs');
        config.swaLr = parsePositiveNumber('--swa-lr', flags.swaLr);
      }
      const result = await runTraining({
        ...(arch ? { arch } : {}),
        model,
        dataset: flags.dataset,
        ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
        download: Boolean(flags.download),
        config,
        out: flags.out,
        resume: Boolean(flags.resume),
        ...(flags.weights ? { weights: flags.weights } : {}),
        augment: { cropPadding: parseInteger('--crop-padding', flags.cropPadding, 0), horizontalFlip: flags.flip, randomErasing: parseProbability('--random-erasing', flags.randomErasing) },
        skipBad: Boolean(flags.skipBad),
        ...(flags.preciseBn === undefined ? {} : { preciseBatchNorm: parseInteger('--precise-bn', flags.preciseBn, 0) }),
        progress: true,
        log: (line) => process.stderr.write(`${line}\n`),
        ...(flags.maxSteps ? { maxSteps: parseInteger('--max-steps', flags.maxSteps, 1) } : {}),
        ...(flags.checkpointEvery === undefined ? {} : { checkpointMinutes: parseNonNegativeNumber('--checkpoint-every', flags.checkpointEvery) }),
      });
      if (result.final) {
        process.stdout.write(`test accuracy ${(100 * result.final.accuracy).toFixed(2)}% on ${result.final.count} images; model written to ${result.modelPath}\n`);
      }
    });

  program
    .command('eval')
    .description('accuracy, per-class accuracy and confusion matrix of a model on a dataset')
    .argument('<model>', 'a model file (e.g. model.safetensors written by mobilenet train)')
    .option('--dataset <name>', 'fashion-mnist | sample | folder:<dir> (a folder: the held-out part of the split the model was trained with; refused if its images per class or file names changed since); default: sample, or fashion-mnist with --data-dir or --download')
    .option('--data-dir <dir>', 'where the Fashion-MNIST IDX files are (default as for train)')
    .option('--download', 'Fashion-MNIST: download the published files (sha256-checked) into --data-dir, or the cache folder, if they are not there')
    .option('--skip-bad', 'folder datasets: skip and count images that fail to decode instead of stopping')
    .option('--out <dir>', 'also write evaluation.json and confusion.png there')
    .option('--json', 'print one JSON object')
    .option('--tta <mode>', 'test-time augmentation: none | flip (average with the left–right mirrored image; twice the compute)', 'none')
    .action(async (model: string, flags: { dataset?: string; dataDir?: string; out?: string; json?: boolean; tta: string; skipBad?: boolean; download?: boolean }) => {
      const flip = parseChoice('--tta', flags.tta, ['none', 'flip'] as const) === 'flip';
      const dataset = flags.dataset ?? (flags.dataDir || flags.download ? 'fashion-mnist' : 'sample');
      const e = await evaluateModel(model, {
        dataset,
        flip,
        skipBad: Boolean(flags.skipBad),
        download: Boolean(flags.download),
        ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
        ...(flags.out ? { out: flags.out } : {}),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(e)}\n`);
        return;
      }
      process.stdout.write(formatEvaluation(e, flip));
    });
}

/** eval's text report: accuracy, per-class accuracy, and the confusion matrix when it fits a terminal. */
export function formatEvaluation(e: Evaluation & { classes: string[]; skipped?: string[] }, flip: boolean): string {
  const lines = [`accuracy ${(100 * e.accuracy).toFixed(2)}% on ${e.count} images (loss ${e.loss.toFixed(4)})${flip ? ' with flip test-time augmentation' : ''}`];
  if (e.skipped?.length) lines.push(`skipped ${e.skipped.length} image(s) that failed to decode: ${e.skipped.slice(0, 5).join(', ')}${e.skipped.length > 5 ? ', …' : ''}`);
  lines.push('', 'per class (accuracy on its test images):');
  const width = Math.max(...e.classes.map((c) => c.length));
  e.classes.forEach((c, i) => {
    const n = e.confusion[i]!.reduce((a, b) => a + b, 0);
    lines.push(`  ${String(i).padStart(3)} ${c.padEnd(width)}  ${n === 0 ? '  n/a (no test images)' : `${(100 * e.perClass[i]!).toFixed(1).padStart(5)}% of ${n}`}`);
  });
  if (e.classes.length <= MATRIX_MAX_CLASSES) {
    const cell = Math.max(4, ...e.confusion.flat().map((v) => String(v).length + 1));
    lines.push('', 'confusion matrix (rows: true class, columns: predicted class, by index):');
    lines.push(`  ${''.padStart(3)} ${e.classes.map((_, j) => String(j).padStart(cell)).join('')}`);
    e.confusion.forEach((row, i) => lines.push(`  ${String(i).padStart(3)} ${row.map((v) => String(v).padStart(cell)).join('')}`));
  } else {
    lines.push('', `(the ${e.classes.length}×${e.classes.length} confusion matrix is in evaluation.json and confusion.png with --out, or in --json)`);
  }
  return `${lines.join('\n')}\n`;
}

/** Larger matrices do not fit a terminal line. */
const MATRIX_MAX_CLASSES = 20;
